import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { abftObjectivePresets, type AbftPresetName } from '../abft/objective';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../train/options';
import type { EvaluationSet, EvaluationSummary, TrainingData } from '../train/protocol';
import type { StepMetrics } from '../train/trainer';
import { trainerClient } from './trainer-client';
import type { LayerDeltaNorms } from '../train/delta-norms';
import { useDataStore } from './data-store';
import { useModelStore } from './model-store';
import { compactStep, useRunHistoryStore, type RunRecord } from './run-history-store';

/**
 * What a user sets in the Train panel; the rest of TrainOptions keeps the paper's defaults.
 * k (demonstrations per prompt) is not here: it is the data store's, the one value the prompt
 * preview, training and the accuracy measures all use.
 */
export interface TrainSettings {
  readonly objective: TrainOptions['objective'];
  readonly preset: AbftPresetName;
  readonly lr: number;
  readonly steps: number;
  readonly pseudoBatch: number;
  readonly microBatch: number;
  readonly seed: number;
  /** At most this many of the dataset's test queries are used to measure accuracy; each gets 2 demonstration sets, as the paper's test set. */
  readonly testQueries: number;
  /** Measure accuracy right before the first step and after the last, so runs can be compared. */
  readonly evaluateBeforeAfter: boolean;
}

export type RunState =
  | { readonly state: 'idle' }
  /** Building and checking the prompts, before the first step. */
  | { readonly state: 'preparing' }
  /** The run's own accuracy measures, before its first step and after its last. */
  | { readonly state: 'measuring'; readonly when: 'before' | 'after' }
  | { readonly state: 'running' }
  /** Asked to pause; the step in flight still ends. */
  | { readonly state: 'pausing' }
  | { readonly state: 'paused' }
  | { readonly state: 'stopping' }
  | { readonly state: 'done' }
  | { readonly state: 'stopped' }
  | { readonly state: 'failed'; readonly message: string };

export interface AccuracyMeasure {
  /** Training steps of the current run before the measure; 0 before any training of this model. */
  readonly afterStep: number;
  readonly result: EvaluationSummary;
}

/** The current run's accuracy measures (null: not measured, or not yet). */
export interface RunAccuracy {
  readonly before: EvaluationSummary | null;
  readonly after: EvaluationSummary | null;
}

export type TaskState = { readonly state: 'idle' } | { readonly state: 'running' } | { readonly state: 'failed'; readonly message: string };

interface TrainingStore {
  readonly settings: TrainSettings;
  readonly run: RunState;
  /** Every step of the current run, oldest first: what the live charts will draw. */
  readonly history: readonly StepMetrics[];
  /** Per layer ‖ΔW_Q‖_F and ‖ΔW_K‖_F from the loaded weights, as of the end of the last run. */
  readonly deltaNorms: readonly LayerDeltaNorms[];
  readonly targetSteps: number;
  readonly accuracy: readonly AccuracyMeasure[];
  readonly runAccuracy: RunAccuracy;
  readonly evaluation: TaskState;
  readonly exporting: TaskState;
  setSetting<K extends keyof TrainSettings>(key: K, value: TrainSettings[K]): void;
  start(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
  measureAccuracy(): Promise<void>;
  /** The fine-tuned model.safetensors, or null when the export failed (the store says why). */
  exportWeights(): Promise<Uint8Array<ArrayBuffer> | null>;
}

/** What the run trains on (the Data panel's training pool), and its name in the run history. */
function trainingData(): { readonly data: TrainingData; readonly name: string } {
  const data = useDataStore.getState();
  return { data: data.trainingData(), name: data.info.name };
}

/** The Data panel's test queries, at most `testQueries` of them, with the data's k, as training uses. */
export function evaluationSet({ seed, testQueries }: TrainSettings): EvaluationSet {
  const set = useDataStore.getState().evaluationSet({ seed, setsPerQuery: 2 });
  return set.kind === 'rows' ? { ...set, queries: set.queries.slice(0, testQueries) } : { ...set, queries: Math.min(set.queries, testQueries) };
}

const NOT_MEASURED: RunAccuracy = { before: null, after: null };

export const DEFAULT_SETTINGS: TrainSettings = {
  objective: DEFAULT_TRAIN_OPTIONS.objective,
  preset: 'abft',
  lr: DEFAULT_TRAIN_OPTIONS.lr,
  steps: DEFAULT_TRAIN_OPTIONS.steps,
  pseudoBatch: DEFAULT_TRAIN_OPTIONS.pseudoBatch,
  microBatch: DEFAULT_TRAIN_OPTIONS.microBatch,
  seed: DEFAULT_TRAIN_OPTIONS.seed,
  testQueries: 32,
  evaluateBeforeAfter: true,
};

/** The run's options: the panel's settings, and the data's k and label scoring. */
export function trainOptionsOf(s: TrainSettings, k: number, labelScoring: TrainOptions['labelScoring']): TrainOptions {
  const { preset, testQueries: _, evaluateBeforeAfter: __, ...rest } = s;
  return { ...DEFAULT_TRAIN_OPTIONS, ...rest, k, labelScoring, abft: abftObjectivePresets[preset] };
}

/**
 * Settings saved before k moved to the data store had their own k, the one runs trained with:
 * it becomes the data's k once that store has loaded, so a reload does not change what a run does.
 */
function adoptLegacyK(k: unknown): void {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) return;
  const adopt = () => {
    useDataStore.getState().setK(k);
    // Saving the settings again drops their k, so a later reload cannot bring it back over a newer edit in the Data step.
    useTrainingStore.setState((s) => ({ settings: { ...s.settings } }));
  };
  // Not synchronously: this runs while the training store is being created, from its saved state.
  queueMicrotask(() => {
    if (useDataStore.persist.hasHydrated()) return adopt();
    const unsubscribe = useDataStore.persist.onFinishHydration(() => {
      unsubscribe();
      adopt();
    });
  });
}

export function isActive(run: RunState): boolean {
  return ['preparing', 'measuring', 'running', 'pausing', 'paused', 'stopping'].includes(run.state);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The settings a saved state holds, with defaults for fields an older version did not have; an old k goes to the data store. */
export function savedSettings(saved: unknown): TrainSettings {
  const { k: legacyK, ...settings } = (saved as { settings?: Partial<TrainSettings> & { k?: unknown } } | undefined)?.settings ?? {};
  adoptLegacyK(legacyK);
  return { ...DEFAULT_SETTINGS, ...settings };
}

let listening = false;

export const useTrainingStore = create<TrainingStore>()(
  persist(
    (set, get) => {
      /** A new model makes earlier runs and measures meaningless. */
      function listen(): void {
        if (listening) return;
        listening = true;
        trainerClient().onEvent((event) => {
          if (event.type === 'model-released') set({ history: [], deltaNorms: [], accuracy: [], runAccuracy: NOT_MEASURED, run: { state: 'idle' } });
        });
      }

      /** Pause, resume and stop: a refusal (the run ended meanwhile) leaves the run's own state to its final message. */
      async function control(type: 'pause' | 'resume' | 'stop', during: RunState, after: RunState): Promise<void> {
        const before = get().run;
        set({ run: during });
        try {
          await trainerClient().request({ type });
          if (isActive(get().run)) set({ run: after });
        } catch {
          if (get().run === during) set({ run: before });
        }
      }

      async function evaluate(): Promise<EvaluationSummary> {
        const settings = get().settings;
        const reply = await trainerClient().request({ type: 'evaluate', set: evaluationSet(settings), microBatch: settings.microBatch });
        return reply.result;
      }

      /** A run's own measure; a failure is shown by the accuracy view and does not stop the run. */
      async function measure(when: 'before' | 'after'): Promise<void> {
        set({ run: { state: 'measuring', when } });
        try {
          const result = await evaluate();
          set((s) => ({ runAccuracy: { ...s.runAccuracy, [when]: result } }));
        } catch (error) {
          set({ evaluation: { state: 'failed', message: errorMessage(error) } });
        }
      }

      /** Keeps a run that took at least one step in the history. */
      function record(run: Pick<RunRecord, 'startedAt' | 'settings' | 'options' | 'outcome' | 'message' | 'dataName'>): void {
        const { history, runAccuracy, deltaNorms } = get();
        const model = useModelStore.getState().model;
        if (history.length === 0 || !model) return;
        useRunHistoryStore.getState().add({
          ...run,
          id: crypto.randomUUID(),
          endedAt: Date.now(),
          modelLabel: model.label,
          layers: model.layers,
          heads: model.heads,
          steps: history.map(compactStep),
          accuracyBefore: runAccuracy.before,
          accuracyAfter: runAccuracy.after,
          deltaNorms,
        });
      }

      return {
        settings: DEFAULT_SETTINGS,
        run: { state: 'idle' },
        history: [],
        deltaNorms: [],
        targetSteps: 0,
        accuracy: [],
        runAccuracy: NOT_MEASURED,
        evaluation: { state: 'idle' },
        exporting: { state: 'idle' },

        setSetting: (key, value) => set((s) => ({ settings: { ...s.settings, [key]: value } })),

        async start() {
          if (isActive(get().run)) return;
          listen();
          const settings = get().settings;
          const { k, labelScoring } = useDataStore.getState();
          const options = trainOptionsOf(settings, k, labelScoring);
          const { data, name: dataName } = trainingData();
          const startedAt = Date.now();
          set({ history: [], targetSteps: options.steps, runAccuracy: NOT_MEASURED });
          let end: { state: 'done' | 'stopped' } | { state: 'failed'; message: string };
          try {
            if (settings.evaluateBeforeAfter) await measure('before');
            set({ run: { state: 'preparing' } });
            const reply = await trainerClient().request(
              { type: 'start-training', options, data },
              {
                onStep: (metrics) =>
                  set((s) => ({ history: [...s.history, metrics], run: s.run.state === 'preparing' ? { state: 'running' } : s.run })),
              },
            );
            end = { state: reply.type === 'training-done' ? 'done' : 'stopped' };
            set({ deltaNorms: reply.deltaNorms });
          } catch (error) {
            end = { state: 'failed', message: errorMessage(error) };
          }
          if (end.state !== 'failed' && settings.evaluateBeforeAfter && get().history.length > 0) await measure('after');
          set({ run: end });
          record({ startedAt, settings, options, outcome: end.state, message: end.state === 'failed' ? end.message : undefined, dataName });
        },

        pause: () => control('pause', { state: 'pausing' }, { state: 'paused' }),
        resume: () => control('resume', { state: 'running' }, { state: 'running' }),
        stop: () => control('stop', { state: 'stopping' }, { state: 'stopping' }),

        async measureAccuracy() {
          listen();
          const afterStep = get().history.at(-1)?.step ?? 0;
          set({ evaluation: { state: 'running' } });
          try {
            const result = await evaluate();
            set((s) => ({ accuracy: [...s.accuracy, { afterStep, result }], evaluation: { state: 'idle' } }));
          } catch (error) {
            set({ evaluation: { state: 'failed', message: errorMessage(error) } });
          }
        },

        async exportWeights() {
          set({ exporting: { state: 'running' } });
          try {
            const { bytes } = await trainerClient().request({ type: 'export-weights' });
            set({ exporting: { state: 'idle' } });
            return bytes;
          } catch (error) {
            set({ exporting: { state: 'failed', message: errorMessage(error) } });
            return null;
          }
        },
      };
    },
    {
      name: 'abft-studio-training',
      partialize: ({ settings }) => ({ settings }),
      merge: (saved, current) => ({ ...current, settings: savedSettings(saved) }),
    },
  ),
);
