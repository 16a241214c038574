/**
 * The run that was training when the page went away (a reload, a closed tab, a crash of the worker
 * or the GPU): its record so far and the data and test set it used, so that it can be resumed from
 * the worker's autosave, or discarded. Kept in IndexedDB apart from the finished runs, since it is
 * rewritten as the run goes; `keep` tells when a write is safe, which the autosave waits for.
 */
import { create } from 'zustand';
import type { EvaluationSet, TrainingData } from '../train/protocol';
import { idbValue } from './idb-storage';
import { upgradeRecord, type RunRecord } from './run-history-store';

export interface InterruptedRun {
  /** Outcome 'interrupted', with the steps and the "before" measure so far. */
  readonly record: RunRecord;
  readonly data: TrainingData;
  /** The test set of its before and after measures; null when it measures none. */
  readonly evaluation: EvaluationSet | null;
}

interface InterruptedRunStore {
  /** The run a page left unfinished, to resume or discard; null when there is none. */
  readonly interrupted: InterruptedRun | null;
  /** Reads what an earlier page left; the app calls it once at start. */
  load(): Promise<void>;
  /** Writes the record of the run training now; resolves once it is committed, rejects when it could not be. */
  keep(run: InterruptedRun): Promise<void>;
  /** Shows a run of this page as interrupted (its worker or GPU failed): written, and offered for resuming. */
  interrupt(run: InterruptedRun): Promise<void>;
  /** Forgets the record, written or offered. */
  clear(): Promise<void>;
}

const stored = idbValue<InterruptedRun>('abft-studio-interrupted-run', 'run');

export const useInterruptedRunStore = create<InterruptedRunStore>((set) => ({
  interrupted: null,
  async load() {
    const saved = await stored.get();
    // A run an older version left has its accuracy in the old shape.
    set({ interrupted: saved ? { ...saved, record: upgradeRecord(saved.record) } : null });
  },
  keep: (run) => stored.put(run),
  async interrupt(run) {
    set({ interrupted: run });
    await stored.put(run);
  },
  async clear() {
    set({ interrupted: null });
    await stored.delete();
  },
}));

// What an earlier page left is known as soon as the store is; without IndexedDB (tests in Node) there is nothing to read.
if (typeof indexedDB !== 'undefined') useInterruptedRunStore.getState().load().catch(() => undefined);
