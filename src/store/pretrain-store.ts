/**
 * Pretraining from scratch, as the Model step shows it: the recipe's values as typed (persisted,
 * so a reload keeps them), the run's state, and what the worker reported: every step, the head
 * scores and the evaluations. When the run ends the pretrained model is the loaded one
 * (model-store), whatever it ended by.
 */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { classroomRecipe, DEFAULT_RECIPE_EDITS, headScoreEvery, type RecipeEdits, type RecipeField } from '../pretrain/recipe';
import type { PretrainAccuracy, PretrainOutcome, PretrainProgress, PretrainStepReport } from '../train/protocol';
import { useModelStore } from './model-store';
import { trainerClient } from './trainer-client';

export type PretrainRunState =
  | { readonly state: 'idle' }
  /** Sent to the worker; the random model is being made. */
  | { readonly state: 'starting' }
  | { readonly state: 'running' }
  /** An ICL evaluation of `sequences` sequences; no step runs until it ends. */
  | { readonly state: 'evaluating'; readonly sequences: number }
  /** Asked to stop; the step in flight still ends. */
  | { readonly state: 'stopping' }
  /** `message`: why a diverged run stopped. */
  | { readonly state: 'ended'; readonly outcome: PretrainOutcome; readonly stepsDone: number; readonly message: string | null }
  | { readonly state: 'failed'; readonly message: string };

/** The run's shape as the worker made it. */
export interface PretrainPlan {
  readonly steps: number;
  readonly batch: number;
  readonly layers: number;
  readonly heads: number;
  readonly parameters: number;
}

export interface HeadScores {
  readonly step: number;
  /** [layer][head], each in [0, 1]. */
  readonly scores: readonly (readonly number[])[];
}

export interface EvalPoint {
  readonly step: number;
  readonly heldOut: PretrainAccuracy;
  readonly train: PretrainAccuracy;
}

interface PretrainStore {
  readonly edits: RecipeEdits;
  readonly run: PretrainRunState;
  readonly plan: PretrainPlan | null;
  /** Every applied step, oldest first. */
  readonly steps: readonly PretrainStepReport[];
  readonly heads: readonly HeadScores[];
  readonly evals: readonly EvalPoint[];
  /** Steps refused for a non-finite gradient. */
  readonly skipped: number;
  setEdit(field: RecipeField, value: string): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function isPretraining(run: PretrainRunState): boolean {
  return run.state === 'starting' || run.state === 'running' || run.state === 'evaluating' || run.state === 'stopping';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Saved edits as they were typed; anything else (an older or broken save) gives the recipe's own values. */
function savedEdits(saved: unknown): RecipeEdits {
  const edits = (saved as { edits?: Partial<Record<RecipeField, unknown>> } | undefined)?.edits;
  const text = (field: RecipeField) => (typeof edits?.[field] === 'string' ? (edits[field] as string) : DEFAULT_RECIPE_EDITS[field]);
  return { steps: text('steps'), batch: text('batch') };
}

export const usePretrainStore = create<PretrainStore>()(
  persist(
    (set, get) => {
      /** One progress message; a stop asked for stays 'stopping' until the run ends. */
      function apply(progress: PretrainProgress): void {
        const stopping = get().run.state === 'stopping';
        switch (progress.kind) {
          case 'started': {
            const { kind: _, ...shape } = progress;
            set((s) => ({ plan: { ...shape, batch: s.plan?.batch ?? 0 }, run: stopping ? s.run : { state: 'running' } }));
            return;
          }
          case 'step': {
            const { kind: _, ...report } = progress;
            set((s) => ({ steps: [...s.steps, report], run: stopping ? s.run : { state: 'running' } }));
            return;
          }
          case 'skipped':
            set((s) => ({ skipped: s.skipped + 1 }));
            return;
          case 'heads':
            set((s) => ({ heads: [...s.heads, { step: progress.step, scores: progress.scores }] }));
            return;
          case 'evaluating':
            if (!stopping) set({ run: { state: 'evaluating', sequences: progress.sequences } });
            return;
          case 'eval':
            set((s) => ({ evals: [...s.evals, { step: progress.step, heldOut: progress.heldOut, train: progress.train }], run: stopping ? s.run : { state: 'running' } }));
            return;
        }
      }

      return {
        edits: DEFAULT_RECIPE_EDITS,
        run: { state: 'idle' },
        plan: null,
        steps: [],
        heads: [],
        evals: [],
        skipped: 0,

        setEdit: (field, value) => set((s) => ({ edits: { ...s.edits, [field]: value } })),

        async start() {
          if (isPretraining(get().run)) return;
          const recipe = classroomRecipe(get().edits);
          if (!recipe.ok) return;
          const { config } = recipe;
          set({ run: { state: 'starting' }, plan: { steps: config.steps, batch: config.batch.sequences, layers: config.model.layers, heads: config.model.heads, parameters: 0 }, steps: [], heads: [], evals: [], skipped: 0 });
          try {
            const reply = await trainerClient().request({ type: 'start-pretraining', config: recipe.json, measureEvery: headScoreEvery(config) }, { onPretrain: apply });
            useModelStore.getState().adopt(reply.model);
            set({ run: { state: 'ended', outcome: reply.outcome, stepsDone: reply.stepsDone, message: reply.message } });
          } catch (error) {
            set({ run: { state: 'failed', message: errorMessage(error) } });
          }
        },

        async stop() {
          const before = get().run;
          if (!isPretraining(before) || before.state === 'stopping') return;
          set({ run: { state: 'stopping' } });
          try {
            await trainerClient().request({ type: 'stop' });
          } catch {
            // The run ended meanwhile: its own reply says how.
            if (get().run.state === 'stopping') set({ run: before });
          }
        },
      };
    },
    {
      name: 'abft-studio-pretrain',
      partialize: ({ edits }) => ({ edits }),
      merge: (saved, current) => ({ ...current, edits: savedEdits(saved) }),
    },
  ),
);
