import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { abftObjectivePresets, type AbftPresetName } from '../abft/objective';
import { CLASSROOM_MODEL } from '../classroom-model';
import { DEMO_MODEL } from '../demo-model';
import { WorkerCallError } from '../train/client';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../train/options';
import { SUITE_MEASURES, type SuiteMeasure, type SuiteMeasures, type SuiteReport } from '../abft/suite';
import type { EvaluationProgress, EvaluationSet, ModelSummary, RestorableWeights, TrainingData } from '../train/protocol';
import type { StepMetrics } from '../train/trainer';
import { trainerClient } from './trainer-client';
import type { LayerDeltaNorms } from '../train/delta-norms';
import { useDataStore } from './data-store';
import { useInterruptedRunStore, type InterruptedRun } from './interrupted-run-store';
import { useModelStore } from './model-store';
import { RunJournal } from './run-journal';
import { compactStep, headGrid, useRunHistoryStore, type RunRecord, type StepRecord } from './run-history-store';
import { whenHydrated } from './when-hydrated';

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
  /**
   * At most this many of the dataset's test queries are evaluated on; each gets 2 demonstration
   * sets for accuracy, as the paper's test set, and 8 sets and 9 templates for the consistencies.
   */
  readonly testQueries: number;
  /** Evaluate right before the first step and after the last, so runs can be compared. */
  readonly evaluateBeforeAfter: boolean;
  /** The suite's measures the Evaluate button and the before/after evaluation run (ABFT-SPEC.md §6). */
  readonly measures: SuiteMeasures;
}

export type RunState =
  | { readonly state: 'idle' }
  /** Building and checking the prompts, before the first step. */
  | { readonly state: 'preparing' }
  /** The run's own evaluation, before its first step and after its last; `progress` is null until its first prompts are scored. */
  | { readonly state: 'measuring'; readonly when: 'before' | 'after'; readonly progress: EvaluationProgress | null }
  | { readonly state: 'running' }
  /** Asked to pause; the step in flight still ends. */
  | { readonly state: 'pausing' }
  | { readonly state: 'paused' }
  | { readonly state: 'stopping' }
  | { readonly state: 'done' }
  | { readonly state: 'stopped' }
  /** `restore`: after a non-finite loss, the weights the worker can put back, each with its button's words. */
  | { readonly state: 'failed'; readonly message: string; readonly restore?: readonly RestoreChoice[] }
  /** An interrupted run being taken up again: its model loaded if needed, its autosave restored. */
  | { readonly state: 'resuming' };

/** One press of Evaluate: the suite's report, a measure not picked null. */
export interface EvaluationRecord {
  /** Training steps of the current run before the evaluation; 0 before any training of this model. */
  readonly afterStep: number;
  readonly report: SuiteReport;
}

/** The current run's evaluations (null: not evaluated, or not yet). */
export interface RunEvaluation {
  readonly before: SuiteReport | null;
  readonly after: SuiteReport | null;
}

export type TaskState = { readonly state: 'idle' } | { readonly state: 'running' } | { readonly state: 'failed'; readonly message: string };

/** An evaluation on demand; `progress` is null until its first prompts are scored. */
export type EvaluationTask = { readonly state: 'idle' } | { readonly state: 'running'; readonly progress: EvaluationProgress | null } | { readonly state: 'failed'; readonly message: string };

/** Every measure, as `abft train` runs by default. */
export const ALL_MEASURES: SuiteMeasures = { test: true, demonstrationConsistency: true, templateConsistency: true, unseenLabel: true };

export function anyMeasure(measures: SuiteMeasures): boolean {
  return SUITE_MEASURES.some((m) => measures[m]);
}

/** Saved measures as they are when they have the four flags, else all of them (settings saved before the suite, or broken). */
function savedMeasures(saved: unknown): SuiteMeasures {
  const flags = saved as Partial<Record<SuiteMeasure, unknown>> | null | undefined;
  if (typeof flags !== 'object' || flags === null || !SUITE_MEASURES.every((m) => typeof flags[m] === 'boolean')) return ALL_MEASURES;
  return { test: flags.test as boolean, demonstrationConsistency: flags.demonstrationConsistency as boolean, templateConsistency: flags.templateConsistency as boolean, unseenLabel: flags.unseenLabel as boolean };
}

export interface RestoreChoice {
  readonly which: RestorableWeights;
  readonly label: string;
}

/** The buttons for what the worker can restore; "before this run" only when the failed run itself changed the weights. */
function restoreChoices(restorable: readonly RestorableWeights[] | undefined, changedByThisRun: boolean): RestoreChoice[] | undefined {
  if (!restorable?.length) return undefined;
  return restorable.map((which) => ({
    which,
    label: which === 'loaded' ? "Restore the model's loaded weights" : `Restore the weights from before ${changedByThisRun ? 'this' : 'the earlier'} run`,
  }));
}

/** Restoring trained weights after a run blew up; `restored` says which weights are on the GPU now. */
export type WeightsRestoreState = TaskState | { readonly state: 'done'; readonly restored: string };

interface TrainingStore {
  readonly settings: TrainSettings;
  readonly run: RunState;
  /** Every step of the current run, oldest first: what the live charts will draw. */
  readonly history: readonly StepMetrics[];
  /** Per layer ‖ΔW_Q‖_F and ‖ΔW_K‖_F from the loaded weights, as of the end of the last run. */
  readonly deltaNorms: readonly LayerDeltaNorms[];
  readonly targetSteps: number;
  /** The Evaluate button's reports, oldest first. */
  readonly evaluations: readonly EvaluationRecord[];
  readonly runEvaluation: RunEvaluation;
  readonly evaluation: EvaluationTask;
  readonly exporting: TaskState;
  readonly weightsRestore: WeightsRestoreState;
  /** Why the running run's last autosave failed; null while saving works. */
  readonly autosaveProblem: string | null;
  setSetting<K extends keyof TrainSettings>(key: K, value: TrainSettings[K]): void;
  start(): Promise<void>;
  /** Takes up the interrupted run (interrupted-run-store) from its autosave, to its target steps. */
  resumeInterrupted(): Promise<void>;
  /** Forgets the interrupted run and its autosave. */
  discardInterrupted(): Promise<void>;
  restoreWeights(which: RestorableWeights): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
  /** Runs the picked measures of the suite on the test set; the report goes to `evaluations`. */
  evaluate(): Promise<void>;
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

const NOT_MEASURED: RunEvaluation = { before: null, after: null };

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
  measures: ALL_MEASURES,
};

/** The run's options: the panel's settings, and the data's k and label scoring. */
export function trainOptionsOf(s: TrainSettings, k: number, labelScoring: TrainOptions['labelScoring']): TrainOptions {
  const { preset, testQueries: _, evaluateBeforeAfter: __, measures: ___, ...rest } = s;
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
  queueMicrotask(() => whenHydrated(useDataStore, adopt));
}

export function isActive(run: RunState): boolean {
  return ['preparing', 'measuring', 'running', 'pausing', 'paused', 'stopping', 'resuming'].includes(run.state);
}

/**
 * Autosave every this many steps instead of the worker's time-based default: `?autosave-every=N`
 * in the page's address (the browser tests use 1).
 */
function autosaveEverySteps(): number | undefined {
  const value = Number(new URLSearchParams(globalThis.location?.search ?? '').get('autosave-every'));
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** One run as it trains: what start() sets up, or what a resume takes from the interrupted record. */
interface RunContext {
  readonly id: string;
  readonly startedAt: number;
  readonly settings: TrainSettings;
  readonly options: TrainOptions;
  readonly data: TrainingData;
  readonly dataName: string;
  readonly model: Pick<ModelSummary, 'label' | 'layers' | 'heads'>;
  /** The test set of the run's before and after measures; null when it measures none. */
  readonly evaluation: EvaluationSet | null;
}

/** The GPU or the worker went away during the run: it is kept to resume rather than ended as failed. */
function interruption(error: unknown): boolean {
  return error instanceof WorkerCallError && (error.detail.kind === 'device-lost' || error.detail.kind === 'worker-crashed');
}

function expandStep(step: StepRecord, model: RunContext['model']): StepMetrics {
  const { heads, ...scalars } = step;
  return { ...scalars, perLayerHead: heads ? headGrid(heads, model.layers, model.heads) : null };
}

/** The Model step's way to load `label` again, or null when only the user can (a local folder). */
function reloader(label: string): (() => Promise<void>) | null {
  const models = useModelStore.getState();
  if (label === DEMO_MODEL.label) return () => models.loadDemo();
  if (label === CLASSROOM_MODEL.label) return () => models.loadClassroomModel();
  const hub = /^Hub: (.+)@([^@]+)$/.exec(label);
  if (!hub) return null;
  return () => {
    models.setHubRepo(hub[1]);
    models.setHubRevision(hub[2]);
    return models.loadFromHub();
  };
}

/** A run's measures; a run recorded before the app had the suite measured accuracy alone. */
function runMeasures(settings: TrainSettings): SuiteMeasures {
  return settings.measures ?? { ...ALL_MEASURES, demonstrationConsistency: false, templateConsistency: false, unseenLabel: false };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The settings a saved state holds, with defaults for fields an older version did not have; an old k goes to the data store. */
export function savedSettings(saved: unknown): TrainSettings {
  const { k: legacyK, ...settings } = (saved as { settings?: Partial<TrainSettings> & { k?: unknown } } | undefined)?.settings ?? {};
  adoptLegacyK(legacyK);
  return { ...DEFAULT_SETTINGS, ...settings, measures: savedMeasures(settings.measures) };
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
          if (event.type === 'model-released') set({ history: [], deltaNorms: [], evaluations: [], runEvaluation: NOT_MEASURED, run: { state: 'idle' }, weightsRestore: { state: 'idle' } });
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

      /** The one evaluation the app has, for the Evaluate button and a run's before and after alike. */
      async function evaluateSuite(testSet: EvaluationSet, measures: SuiteMeasures, microBatch: number, onProgress: (progress: EvaluationProgress) => void): Promise<SuiteReport> {
        const reply = await trainerClient().request({ type: 'evaluate-suite', set: testSet, measures, microBatch }, { onEvaluationProgress: onProgress });
        return reply.report;
      }

      /** A run's own evaluation; a failure is shown by the evaluation view and does not stop the run. */
      async function measure(when: 'before' | 'after', run: RunContext): Promise<void> {
        set({ run: { state: 'measuring', when, progress: null } });
        try {
          const onProgress = (progress: EvaluationProgress) => set((s) => (s.run.state === 'measuring' ? { run: { ...s.run, progress } } : {}));
          const report = await evaluateSuite(run.evaluation!, runMeasures(run.settings), run.settings.microBatch, onProgress);
          set((s) => ({ runEvaluation: { ...s.runEvaluation, [when]: report } }));
        } catch (error) {
          set({ evaluation: { state: 'failed', message: errorMessage(error) } });
        }
      }

      /** The run's record as of now: its steps so far and its measures. */
      function recordOf(run: RunContext, outcome: RunRecord['outcome'], message?: string): RunRecord {
        const { history, runEvaluation, deltaNorms } = get();
        return {
          id: run.id,
          startedAt: run.startedAt,
          endedAt: Date.now(),
          settings: run.settings,
          options: run.options,
          outcome,
          message,
          dataName: run.dataName,
          modelLabel: run.model.label,
          layers: run.model.layers,
          heads: run.model.heads,
          steps: history.map(compactStep),
          evaluationBefore: runEvaluation.before,
          evaluationAfter: runEvaluation.after,
          deltaNorms,
        };
      }

      function interruptedOf(run: RunContext): InterruptedRun {
        return { record: recordOf(run, 'interrupted'), data: run.data, evaluation: run.evaluation };
      }

      /**
       * An autosave point: the record through `step` is written first, so the worker's checkpoint is
       * never ahead of the metrics kept; when the record cannot be written, the worker saves nothing.
       */
      async function autosave(journal: RunJournal, step: number): Promise<void> {
        let kept = true;
        try {
          await journal.write();
        } catch (error) {
          kept = false;
          set({ autosaveProblem: `the run's metrics could not be kept in this browser (${errorMessage(error)})` });
        }
        try {
          const reply = await trainerClient().request({ type: 'autosave', step, write: kept });
          if (reply.saved) set({ autosaveProblem: null });
        } catch (error) {
          set({ autosaveProblem: errorMessage(error) });
        }
      }

      /**
       * Trains `run` to its target steps (from its restored session when `continueSession`), then
       * measures and keeps it in the history; a run whose worker or GPU went away stays interrupted.
       */
      async function train(run: RunContext, continueSession: boolean): Promise<void> {
        const journal = new RunJournal(() => interruptedOf(run), useInterruptedRunStore.getState().keep);
        let end: { state: 'done' | 'stopped' } | { state: 'failed'; message: string; restore?: readonly RestoreChoice[] };
        let interrupted = false;
        let stepsThisRequest = 0;
        set({ autosaveProblem: null });
        try {
          set({ run: { state: 'preparing' } });
          const reply = await trainerClient().request(
            { type: 'start-training', options: run.options, data: run.data, continueSession, autosave: { runId: run.id, everySteps: autosaveEverySteps() } },
            {
              onStep: (metrics) => {
                set((s) => ({ history: [...s.history, metrics], run: s.run.state === 'preparing' ? { state: 'running' } : s.run }));
                stepsThisRequest++;
                journal.stepped();
              },
              onAutosaveDue: (step) => void autosave(journal, step),
            },
          );
          end = { state: reply.type === 'training-done' ? 'done' : 'stopped' };
          set({ deltaNorms: reply.deltaNorms });
        } catch (error) {
          interrupted = interruption(error) && get().history.length > 0;
          const restore = restoreChoices(error instanceof WorkerCallError ? error.detail.restorable : undefined, stepsThisRequest > 0);
          const message = errorMessage(error) + (interrupted ? ' The run is kept as interrupted: resume it from the Runs list once the GPU works again (reload the page).' : '');
          end = { state: 'failed', message, ...(restore ? { restore } : {}) };
        }
        journal.close();
        if (end.state !== 'failed' && run.evaluation && get().history.length > 0) await measure('after', run);
        set({ run: end });
        if (interrupted) {
          await useInterruptedRunStore.getState().interrupt(interruptedOf(run)).catch(() => undefined);
          return;
        }
        // A run that took at least one step goes to the history.
        if (get().history.length > 0) useRunHistoryStore.getState().add(recordOf(run, end.state, end.state === 'failed' ? end.message : undefined));
        await forget(run.id);
      }

      /** Drops a run's record and autosave; a worker that cannot answer leaves the autosave for the next save to remove. */
      async function forget(runId: string): Promise<void> {
        await useInterruptedRunStore.getState().clear().catch(() => undefined);
        await trainerClient().request({ type: 'discard-autosave', runId }).catch(() => undefined);
      }

      /** A run starting while another is still offered for resuming: the older one goes to the history as it is. */
      async function archiveInterrupted(): Promise<void> {
        const pending = useInterruptedRunStore.getState().interrupted;
        if (!pending) return;
        useRunHistoryStore.getState().add(pending.record);
        await forget(pending.record.id);
      }

      /** Loads the run's model when another (or none) is on the GPU; the message says what to do when it cannot. */
      async function ensureModel(label: string): Promise<void> {
        if (useModelStore.getState().model?.label === label) return;
        const load = reloader(label);
        if (!load) throw new Error(`This run was trained on ${label}; load that model in the Model step, then press Resume again.`);
        await load();
        const models = useModelStore.getState();
        if (models.model?.label !== label) {
          throw new Error(`This run was trained on ${label}, which could not be loaded${models.load.state === 'failed' ? ` (${models.load.message})` : ''}; load it in the Model step, then press Resume again.`);
        }
      }

      return {
        settings: DEFAULT_SETTINGS,
        run: { state: 'idle' },
        history: [],
        deltaNorms: [],
        targetSteps: 0,
        evaluations: [],
        runEvaluation: NOT_MEASURED,
        evaluation: { state: 'idle' },
        exporting: { state: 'idle' },
        weightsRestore: { state: 'idle' },
        autosaveProblem: null,

        setSetting: (key, value) => set((s) => ({ settings: { ...s.settings, [key]: value } })),

        async start() {
          if (isActive(get().run)) return;
          listen();
          const settings = get().settings;
          const { k, labelScoring } = useDataStore.getState();
          const options = trainOptionsOf(settings, k, labelScoring);
          const { data, name: dataName } = trainingData();
          const model = useModelStore.getState().model ?? { label: '', layers: 0, heads: 0 };
          const run: RunContext = {
            id: crypto.randomUUID(),
            startedAt: Date.now(),
            settings,
            options,
            data,
            dataName,
            model,
            evaluation: settings.evaluateBeforeAfter && anyMeasure(settings.measures) ? evaluationSet(settings) : null,
          };
          set({ history: [], targetSteps: options.steps, runEvaluation: NOT_MEASURED, weightsRestore: { state: 'idle' } });
          await archiveInterrupted();
          if (run.evaluation) await measure('before', run);
          await train(run, false);
        },

        async resumeInterrupted() {
          const pending = useInterruptedRunStore.getState().interrupted;
          if (!pending || isActive(get().run)) return;
          listen();
          const { record } = pending;
          const run: RunContext = {
            id: record.id,
            startedAt: record.startedAt,
            settings: record.settings,
            options: record.options,
            data: pending.data,
            dataName: record.dataName,
            model: { label: record.modelLabel, layers: record.layers, heads: record.heads },
            evaluation: pending.evaluation,
          };
          set({ run: { state: 'resuming' }, weightsRestore: { state: 'idle' } });
          let stepsDone: number;
          try {
            await ensureModel(record.modelLabel);
            ({ stepsDone } = await trainerClient().request({ type: 'restore-autosave', runId: record.id, data: pending.data }));
          } catch (error) {
            set({ run: { state: 'failed', message: `The interrupted run could not be resumed: ${errorMessage(error)}` } });
            return;
          }
          // The steps after the autosave are trained again, and give the same metrics.
          set({
            history: record.steps.slice(0, stepsDone).map((step) => expandStep(step, run.model)),
            targetSteps: record.options.steps,
            runEvaluation: { before: record.evaluationBefore, after: null },
            deltaNorms: [],
          });
          useInterruptedRunStore.setState({ interrupted: null });
          await train(run, true);
        },

        async discardInterrupted() {
          const pending = useInterruptedRunStore.getState().interrupted;
          if (pending) await forget(pending.record.id);
        },

        async restoreWeights(which) {
          set({ weightsRestore: { state: 'running' } });
          try {
            const reply = await trainerClient().request({ type: 'restore-weights', which });
            set({ weightsRestore: { state: 'done', restored: reply.restored }, deltaNorms: reply.deltaNorms, run: { state: 'idle' } });
          } catch (error) {
            set({ weightsRestore: { state: 'failed', message: errorMessage(error) } });
          }
        },

        pause: () => control('pause', { state: 'pausing' }, { state: 'paused' }),
        resume: () => control('resume', { state: 'running' }, { state: 'running' }),
        stop: () => control('stop', { state: 'stopping' }, { state: 'stopping' }),

        async evaluate() {
          if (get().evaluation.state === 'running') return;
          const settings = get().settings;
          if (!anyMeasure(settings.measures)) {
            set({ evaluation: { state: 'failed', message: 'no measure is picked; pick at least one of the evaluation measures.' } });
            return;
          }
          listen();
          const afterStep = get().history.at(-1)?.step ?? 0;
          set({ evaluation: { state: 'running', progress: null } });
          try {
            const onProgress = (progress: EvaluationProgress) => set((s) => (s.evaluation.state === 'running' ? { evaluation: { state: 'running', progress } } : {}));
            const report = await evaluateSuite(evaluationSet(settings), settings.measures, settings.microBatch, onProgress);
            set((s) => ({ evaluations: [...s.evaluations, { afterStep, report }], evaluation: { state: 'idle' } }));
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
