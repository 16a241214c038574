import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { abftObjectivePresets, type AbftPresetName } from '../abft/objective';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../train/options';
import type { EvaluationSummary } from '../train/protocol';
import type { StepMetrics } from '../train/trainer';
import { trainerClient } from './trainer-client';
import type { LayerDeltaNorms } from '../train/delta-norms';

/** What a user sets in the Train panel; the rest of TrainOptions keeps the paper's defaults. */
export interface TrainSettings {
  readonly objective: TrainOptions['objective'];
  readonly preset: AbftPresetName;
  readonly lr: number;
  readonly steps: number;
  readonly pseudoBatch: number;
  readonly microBatch: number;
  readonly k: number;
  readonly seed: number;
  /** Synthetic test queries the accuracy is measured on; each gets 2 demonstration sets, as the paper's test set. */
  readonly testQueries: number;
}

export type RunState =
  | { readonly state: 'idle' }
  /** Building and checking the prompts, before the first step. */
  | { readonly state: 'preparing' }
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

/** The built-in synthetic dataset, until the Data panel gives real rows. */
export const SYNTHETIC_DATA = { kind: 'synthetic', size: 256, seed: 1 } as const;

export const DEFAULT_SETTINGS: TrainSettings = {
  objective: DEFAULT_TRAIN_OPTIONS.objective,
  preset: 'abft',
  lr: DEFAULT_TRAIN_OPTIONS.lr,
  steps: DEFAULT_TRAIN_OPTIONS.steps,
  pseudoBatch: DEFAULT_TRAIN_OPTIONS.pseudoBatch,
  microBatch: DEFAULT_TRAIN_OPTIONS.microBatch,
  k: DEFAULT_TRAIN_OPTIONS.k,
  seed: DEFAULT_TRAIN_OPTIONS.seed,
  testQueries: 32,
};

export function trainOptionsOf(s: TrainSettings): TrainOptions {
  const { preset, testQueries: _, ...rest } = s;
  return { ...DEFAULT_TRAIN_OPTIONS, ...rest, abft: abftObjectivePresets[preset] };
}

export function isActive(run: RunState): boolean {
  return ['preparing', 'running', 'pausing', 'paused', 'stopping'].includes(run.state);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
          if (event.type === 'model-released') set({ history: [], deltaNorms: [], accuracy: [], run: { state: 'idle' } });
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

      return {
        settings: DEFAULT_SETTINGS,
        run: { state: 'idle' },
        history: [],
        deltaNorms: [],
        targetSteps: 0,
        accuracy: [],
        evaluation: { state: 'idle' },
        exporting: { state: 'idle' },

        setSetting: (key, value) => set((s) => ({ settings: { ...s.settings, [key]: value } })),

        async start() {
          if (isActive(get().run)) return;
          listen();
          const options = trainOptionsOf(get().settings);
          set({ run: { state: 'preparing' }, history: [], targetSteps: options.steps });
          try {
            const reply = await trainerClient().request(
              { type: 'start-training', options, data: SYNTHETIC_DATA },
              {
                onStep: (metrics) =>
                  set((s) => ({ history: [...s.history, metrics], run: s.run.state === 'preparing' ? { state: 'running' } : s.run })),
              },
            );
            set({ run: { state: reply.type === 'training-done' ? 'done' : 'stopped' }, deltaNorms: reply.deltaNorms });
          } catch (error) {
            set({ run: { state: 'failed', message: errorMessage(error) } });
          }
        },

        pause: () => control('pause', { state: 'pausing' }, { state: 'paused' }),
        resume: () => control('resume', { state: 'running' }, { state: 'running' }),
        stop: () => control('stop', { state: 'stopping' }, { state: 'stopping' }),

        async measureAccuracy() {
          listen();
          const { k, seed, microBatch, testQueries } = get().settings;
          const afterStep = get().history.at(-1)?.step ?? 0;
          set({ evaluation: { state: 'running' } });
          try {
            const reply = await trainerClient().request({ type: 'evaluate', set: { kind: 'synthetic', queries: testQueries, seed, k }, microBatch });
            set((s) => ({ accuracy: [...s.accuracy, { afterStep, result: reply.result }], evaluation: { state: 'idle' } }));
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
      // Settings saved by an older version lack the newer fields, which keep their defaults.
      merge: (saved, current) => ({ ...current, settings: { ...DEFAULT_SETTINGS, ...(saved as { settings?: Partial<TrainSettings> } | undefined)?.settings } }),
    },
  ),
);
