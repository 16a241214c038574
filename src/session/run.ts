/**
 * One training run, set up and stepped the same way by the app's worker and by `abft train`:
 * prompts drawn from rows with a template and tokenized with the model's tokenizer, the label
 * targets, a Trainer, and the fingerprint its checkpoints carry; then the step loop, which each
 * front end steers through hooks (the worker pauses, stops and autosaves between steps; the CLI
 * writes a checkpoint every n steps). Every input error is found before any GPU work.
 */
import type { LabelTargets } from '../abft/label-scoring';
import type { PreparedPrompt } from '../abft/prepared';
import type { PromptTemplate } from '../abft/prompts';
import type { Row } from '../data/dataset';
import type { Engine } from '../engine/engine';
import type { LoadedModel } from '../model/load';
import { dataFingerprint, restoreTrainingState, saveTrainingState, type TrainingStateInfo } from '../train/checkpoint';
import type { TrainOptions } from '../train/options';
import { NonFiniteLossError, Trainer, type StepMetrics } from '../train/trainer';
import { preparePromptSet, trainingDraws } from './prompt-sets';

export interface RunSetup {
  readonly rows: readonly Row[];
  readonly template: PromptTemplate;
  readonly options: TrainOptions;
  /** How many training prompts to draw from the rows (a run of n_b × steps sees as many as it needs). */
  readonly promptCount: number;
  /**
   * How the prompt count enters the data fingerprint. Each front end keeps the words it has always
   * written, so that checkpoints saved before still resume.
   */
  readonly fingerprintNote: string;
}

export interface Run {
  readonly options: TrainOptions;
  readonly prompts: readonly PreparedPrompt[];
  readonly labels: LabelTargets;
  /** Identifies the training prompts, for checkpoints. */
  readonly fingerprint: string;
  readonly trainer: Trainer;
}

/** Runs GPU work; the worker passes its queue, so that no other request runs inside a step. */
export type GpuWork = <T>(job: () => Promise<T>) => Promise<T>;

const direct: GpuWork = (job) => job();

/** A run on `model`: every prompt checked and tokenized first, then the trainer's buffers made. */
export async function createRun(e: Engine, model: LoadedModel, setup: RunSetup, gpu: GpuWork = direct): Promise<Run> {
  const { rows, template, options } = setup;
  const { prompts, labels } = await preparePromptSet(model, template, trainingDraws({ rows, template }, options, setup.promptCount), 'training prompt', options.labelScoring);
  const fingerprint = await dataFingerprint(rows, template, setup.fingerprintNote);
  const trainer = await gpu(async () => new Trainer(e, model, prompts, options, labels));
  return { options, prompts, labels, fingerprint, trainer };
}

/** The run's trained weights, Adam state, 𝒜 and step count as checkpoint bytes; `modelLabel` is what a restore must match. */
export function saveRun(e: Engine, run: Run, modelLabel: string): Promise<Uint8Array> {
  return saveTrainingState(e, run.trainer, { modelLabel, options: run.options, dataFingerprint: run.fingerprint });
}

/** Puts a checkpoint's state into the run; it must be of the same model and data. */
export function restoreRun(e: Engine, run: Run, bytes: Uint8Array, modelLabel: string): Promise<TrainingStateInfo> {
  return restoreTrainingState(e, run.trainer, bytes, { modelLabel, dataFingerprint: run.fingerprint });
}

/** What a front end does around each step. */
export interface StepHooks {
  /** Before each step; false ends the run as stopped (the worker waits here while paused). */
  readonly proceed?: () => Promise<boolean>;
  /** The step's GPU work (the worker's queue); by default the step runs at once. */
  readonly gpu?: GpuWork;
  /** After each step that was applied: report it, save a checkpoint. */
  readonly afterStep?: (metrics: StepMetrics) => Promise<void> | void;
}

/** How the loop ended: at the run's steps, stopped by `proceed`, or at a step whose loss was not finite (not applied). */
export type LoopEnd = { readonly outcome: 'done' | 'stopped' } | { readonly outcome: 'non-finite'; readonly error: NonFiniteLossError };

/** Steps the run until `run.options.steps` steps are done; any error but a non-finite loss is thrown. */
export async function trainRun(run: Run, hooks: StepHooks = {}): Promise<LoopEnd> {
  const gpu = hooks.gpu ?? direct;
  while (run.trainer.steps < run.options.steps) {
    if (hooks.proceed && !(await hooks.proceed())) return { outcome: 'stopped' };
    let metrics: StepMetrics;
    try {
      metrics = await gpu(() => run.trainer.step());
    } catch (error) {
      if (error instanceof NonFiniteLossError) return { outcome: 'non-finite', error };
      throw error;
    }
    await hooks.afterStep?.(metrics);
  }
  return { outcome: 'done' };
}
