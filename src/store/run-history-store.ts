/**
 * Finished runs, kept in IndexedDB so they survive a reload and can be compared and reported.
 * A record holds plain numbers only: per-step head statistics are flat [layer * heads + head]
 * arrays, not nested objects, which keeps a long run of a 24 × 14 model small to store and clone.
 */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import type { HeadSummary } from '../abft/loss';
import type { LayerDeltaNorms } from '../train/delta-norms';
import type { TrainOptions } from '../train/options';
import type { SuiteReport } from '../abft/suite';
import type { StepMetrics } from '../train/trainer';
import { idbStorage } from './idb-storage';
import type { TrainSettings } from './training-store';

/** [layer * heads + head] of each HeadSummary field. */
export interface HeadMatrices {
  readonly plus: readonly number[];
  readonly minus: readonly number[];
  readonly sink: readonly number[];
  readonly passRate: readonly number[];
}

export interface StepRecord extends Omit<StepMetrics, 'perLayerHead'> {
  /** Null for end-to-end steps, which have no attention statistics. */
  readonly heads: HeadMatrices | null;
}

export interface RunRecord {
  readonly id: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly modelLabel: string;
  readonly dataName: string;
  readonly layers: number;
  readonly heads: number;
  readonly settings: TrainSettings;
  readonly options: TrainOptions;
  /** 'interrupted': the page went away (or its worker or GPU failed) before the run ended, and it was not resumed. */
  readonly outcome: 'done' | 'stopped' | 'failed' | 'interrupted';
  /** Why a failed run failed. */
  readonly message?: string;
  readonly steps: readonly StepRecord[];
  /** The suite on the same test set right before the first step and after the last; null when not evaluated. */
  readonly evaluationBefore: SuiteReport | null;
  readonly evaluationAfter: SuiteReport | null;
  readonly deltaNorms: readonly LayerDeltaNorms[];
}

/** Accuracy alone, as the app measured it before it ran the suite (record version 1). */
interface AccuracyV1 {
  readonly accuracy: number;
  readonly macroF1: number;
  readonly confusion: number[][];
  readonly count: number;
}

/**
 * A record as this version keeps it, from one an older version kept: its accuracy measures become
 * the test measure of a suite report that ran nothing else. Their prompts' fingerprint is unknown
 * (empty), so compareReports never takes them for the same prompts as a newer report's.
 */
export function upgradeRecord(record: RunRecord | (Omit<RunRecord, 'evaluationBefore' | 'evaluationAfter'> & { accuracyBefore?: AccuracyV1 | null; accuracyAfter?: AccuracyV1 | null })): RunRecord {
  if ('evaluationBefore' in record) return record;
  const { accuracyBefore, accuracyAfter, ...rest } = record;
  const report = (a: AccuracyV1 | null | undefined): SuiteReport | null =>
    a ? { test: { accuracy: a.accuracy, macroF1: a.macroF1, confusion: a.confusion, count: a.count, prompts: '' }, demonstrationConsistency: null, templateConsistency: null, unseenLabel: null } : null;
  return { ...rest, evaluationBefore: report(accuracyBefore), evaluationAfter: report(accuracyAfter) };
}

const FIELDS = ['plus', 'minus', 'sink', 'passRate'] as const;

export function compactStep({ perLayerHead, ...scalars }: StepMetrics): StepRecord {
  if (!perLayerHead) return { ...scalars, heads: null };
  const flat = perLayerHead.flat();
  const [plus, minus, sink, passRate] = FIELDS.map((f) => flat.map((h) => h[f]));
  return { ...scalars, heads: { plus, minus, sink, passRate } };
}

/** The [layer][head] view of one step's matrices, as the trainer reports them. */
export function headGrid(heads: HeadMatrices, layers: number, perLayer: number): HeadSummary[][] {
  return Array.from({ length: layers }, (_, l) =>
    Array.from({ length: perLayer }, (_, h) => {
      const i = l * perLayer + h;
      return { plus: heads.plus[i], minus: heads.minus[i], sink: heads.sink[i], passRate: heads.passRate[i] };
    }),
  );
}

const PRESET_TITLES: Readonly<Record<TrainSettings['preset'], string>> = {
  abft: 'ABFT',
  noPid: 'ABFT, no PID',
  noHeadFilter: 'ABFT, no head filter',
  noPunishment: 'ABFT, 𝒜 = 0',
  noReward: 'ABFT, ℬ = 0',
};

/** A short name for lists and legends: the objective or ablation, then steps and lr. */
export function runTitle(run: Pick<RunRecord, 'settings' | 'steps'>): string {
  const what = run.settings.objective === 'end-to-end' ? 'End-to-end' : PRESET_TITLES[run.settings.preset];
  return `${what} · ${run.steps.length} steps · lr ${run.settings.lr}`;
}

interface RunHistoryStore {
  /** Newest first. */
  readonly runs: readonly RunRecord[];
  /** Ids of at most two runs shown side by side, in the order they were picked. */
  readonly compared: readonly string[];
  add(run: RunRecord): void;
  remove(id: string): void;
  /** Picks a run for comparison, or unpicks it; a third pick replaces the older of the two. */
  toggleCompared(id: string): void;
}

export const useRunHistoryStore = create<RunHistoryStore>()(
  persist(
    (set) => ({
      runs: [],
      compared: [],
      add: (run) => set((s) => ({ runs: [run, ...s.runs] })),
      remove: (id) => set((s) => ({ runs: s.runs.filter((r) => r.id !== id), compared: s.compared.filter((c) => c !== id) })),
      toggleCompared: (id) =>
        set((s) => ({ compared: s.compared.includes(id) ? s.compared.filter((c) => c !== id) : [...s.compared, id].slice(-2) })),
    }),
    {
      name: 'abft-studio-runs',
      version: 2,
      // Called for a saved state of an older version: version 1 kept accuracy alone before and after.
      migrate: (saved) => ({ runs: ((saved as { runs?: Parameters<typeof upgradeRecord>[0][] } | null)?.runs ?? []).map(upgradeRecord) }),
      // Its own database: the Data panel's versions its own, and a run never needs to wait for a dataset write.
      storage: idbStorage<Pick<RunHistoryStore, 'runs'>>({ database: 'abft-studio-runs' }),
      partialize: ({ runs }) => ({ runs }),
    },
  ),
);
