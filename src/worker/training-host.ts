/**
 * The worker's training session: prompts built from rows and a template with the loaded model's
 * tokenizer, one Trainer, and the run loop that pause, resume and stop steer between steps. The
 * session outlives its run, so evaluation, export and checkpoints see the trained weights, and a
 * stopped or restored run can go on where it was.
 */
import { InputError } from '../data/dataset';
import type { Engine } from '../engine/engine';
import { openCheckpoint } from '../model/checkpoint';
import { AutosaveSchedule, autosaveName, isAutosaveName } from '../train/autosave';
import { optionDifferences, readTrainingStateInfo, type TrainingStateInfo } from '../train/checkpoint';
import { keepBaseAttention, releaseBaseAttention } from './attention-host';
import { deltaNorms, WeightSnapshot, type LayerDeltaNorms } from '../train/delta-norms';
import { requireModel, type HostedModel } from './model-host';
import { RunControl, type AutosaveResult } from './run-control';
import type { WorkerState } from './state';
import { describeRun, explainNonFinite } from '../train/non-finite';
import type { TrainOptions } from '../train/options';
import { trainingPromptCount, trainingRows } from '../session/prompt-sets';
import { exportRun, trainedMetadata } from '../session/export';
import { createRun, restoreRun, saveRun, trainRun, type Run } from '../session/run';
import type { AutosaveRequest, RestorableWeights, TrainingData } from '../train/protocol';
import type { StepMetrics } from '../train/trainer';

/** A run on the hosted model (session/run.ts), kept after it ends. */
export interface TrainingSession extends Run {
  readonly hosted: HostedModel;
}

/** How a run ended without an error, with how far W_Q and W_K have moved from the loaded model's (App. B). */
export type RunOutcome = { readonly outcome: 'done' | 'stopped'; readonly stepsDone: number; readonly deltaNorms: LayerDeltaNorms[] };

/** What last changed the trained weights, and the weights from before it while they are kept. */
interface WeightsChange {
  /** In words, for messages; asked when needed, since a run's steps grow. */
  describe(): string;
  /** Null once restored away from: there is nothing older to go back to but the loaded weights. */
  readonly before: WeightSnapshot | null;
  /** The change before this one, in words; null when the weights before it were the loaded ones. */
  readonly prior: string | null;
}

/** How the trained weights on one model came to be what they are. */
export interface WeightsHistory {
  /** W_Q and W_K as loaded, taken before anything changed them: the ΔW norms' reference and what "loaded" restores. */
  readonly loaded: WeightSnapshot;
  /** The last change; null while the weights are as loaded. */
  lastChange: WeightsChange | null;
  /** A run trained v and o too (end-to-end over every attention projection), which the snapshots do not hold. */
  beyondQK: boolean;
}


/** The model's history, its loaded weights read on first use: call it before anything writes to W_Q or W_K. */
async function historyOf(state: WorkerState, e: Engine, hosted: HostedModel): Promise<WeightsHistory> {
  let history = state.histories.get(hosted);
  if (!history) {
    history = { loaded: await state.gpuWork.run(() => WeightSnapshot.take(e, hosted.model)), lastChange: null, beyondQK: false };
    state.histories.set(hosted, history);
  }
  return history;
}

function requireRun(state: WorkerState, action: string): RunControl {
  if (!state.control) throw new InputError(`There is no training run to ${action}; start one first.`);
  return state.control;
}

export function pauseTraining(state: WorkerState): Promise<void> {
  return requireRun(state, 'pause').pause();
}

export function resumeTraining(state: WorkerState): void {
  requireRun(state, 'resume').resume();
}

export function stopTraining(state: WorkerState): void {
  requireRun(state, 'stop').stop();
}

/** Gives the session's GPU buffers back, and stops its run if one started meanwhile: its model is being released. */
export function discardSession(state: WorkerState): void {
  state.control?.stop();
  releaseSession(state);
}

/** The session's GPU buffers and the base attention copies of its model, given back; the caller holds the only run. */
export function releaseSession(state: WorkerState): void {
  state.session?.trainer.release();
  state.session = null;
  releaseBaseAttention(state);
}

/** Why another run cannot start now, or null when none is going on. */
export function runInProgress(state: WorkerState): string | null {
  if (!state.control) return null;
  return state.control.activity === 'pretraining' ? 'A model is being pretrained from scratch' : 'Training is running on the loaded model';
}

/** A session on the loaded model, every prompt checked; it replaces the current one only once built. */
async function createSession(state: WorkerState, e: Engine, options: TrainOptions, data: TrainingData): Promise<TrainingSession> {
  const hosted = requireModel(state);
  const { rows, template } = trainingRows(data);
  const count = trainingPromptCount(options);
  const run = await createRun(e, hosted.model, { rows, template, options, promptCount: count, fingerprintNote: `${count} prompts` }, (job) => state.gpuWork.run(job));
  return { ...run, hosted };
}

function replaceSession(state: WorkerState, next: TrainingSession): void {
  const old = state.session;
  state.session = next;
  // Queued, so GPU work already waiting (a checkpoint save) still finds the old buffers.
  if (old) void state.gpuWork.run(async () => old.trainer.release());
}

export interface StartRequest {
  readonly options: TrainOptions;
  readonly data: TrainingData;
  readonly continueSession?: boolean;
  readonly autosave?: AutosaveRequest;
}

export async function startTraining(state: WorkerState, e: Engine, request: StartRequest, onStep: (metrics: StepMetrics) => void, onAutosaveDue: (step: number) => void = () => {}): Promise<RunOutcome> {
  if (state.control?.activity === 'pretraining') throw new InputError(`${runInProgress(state)}; stop it before training.`);
  if (state.control) throw new InputError('Training is already running; stop it before starting another run.');
  const run = new RunControl();
  state.control = run;
  try {
    const current = request.continueSession ? continuable(state, request.options) : await createSession(state, e, request.options, request.data);
    if (current !== state.session) replaceSession(state, current);
    const { trainer, hosted } = current;
    const history = await historyOf(state, e, hosted);
    await state.gpuWork.run(async () => keepBaseAttention(state, e, hosted));
    // Kept for "restore the weights from before this run"; the first run's are the loaded ones.
    const before = history.lastChange ? await state.gpuWork.run(() => WeightSnapshot.take(e, hosted.model)) : history.loaded;
    let applied = 0;
    let failedAt: number | null = null;
    const change: WeightsChange = { describe: () => describeRun(request.options, applied, failedAt), before, prior: history.lastChange?.describe() ?? null };
    const autosave = request.autosave ? new AutosaveSchedule(request.autosave.everySteps ?? null) : null;
    const outcome = async (kind: RunOutcome['outcome']): Promise<RunOutcome> => ({
      outcome: kind,
      stepsDone: trainer.steps,
      deltaNorms: await state.gpuWork.run(() => deltaNorms(e, hosted.model, history.loaded)),
    });
    const end = await trainRun(current, {
      proceed: () => run.proceed(),
      gpu: (job) => state.gpuWork.run(job),
      afterStep: async (metrics) => {
        if (applied++ === 0) {
          history.lastChange = change;
          if (request.options.trainable !== 'qk' && request.options.objective === 'end-to-end') history.beyondQK = true;
        }
        onStep(metrics);
        if (!autosave?.due(trainer.steps, request.options.steps)) return;
        onAutosaveDue(trainer.steps);
        let started = 0;
        await run.autosaveAt(
          trainer.steps,
          () => {
            started = performance.now();
            return state.gpuWork.run(() => saveRun(e, current, hosted.model.label));
          },
          async (bytes) => {
            await storeAutosave(state, request.autosave!.runId, bytes);
            const ms = performance.now() - started;
            autosave.saved(ms);
            return { bytes: bytes.byteLength, ms };
          },
        );
      },
    });
    if (end.outcome === 'non-finite') {
      failedAt = end.error.step;
      throw explainNonFinite(end.error, {
        runSteps: applied,
        lr: request.options.lr,
        earlier: applied === 0 ? (history.lastChange?.describe() ?? null) : null,
        afterThisRun: 'Restore the weights from before this run (or the model\'s loaded weights).',
        afterEarlier: 'Restore the weights from before that run, or the model\'s loaded weights, then train again.',
      });
    }
    if (end.outcome === 'stopped') return outcome('stopped');
    return outcome('done');
  } finally {
    run.settlePauses();
    state.control = null;
  }
}

/** The page's answer at an autosave point of the running run; null (nothing written) when no run waits there. */
export function answerAutosave(state: WorkerState, step: number, write: boolean): Promise<AutosaveResult> {
  return state.control ? state.control.answerAutosave(step, write) : Promise.resolve(null);
}

/** A run's state under its autosave name; other runs' autosaves are removed, so one is kept at a time. */
async function storeAutosave(state: WorkerState, runId: string, bytes: Uint8Array): Promise<void> {
  const name = autosaveName(runId);
  const store = await state.checkpoints();
  await store.save(name, bytes);
  for (const other of await store.names()) if (isAutosaveName(other) && other !== name) await store.delete(other);
}

export async function discardAutosave(state: WorkerState, runId: string): Promise<void> {
  await (await state.checkpoints()).delete(autosaveName(runId));
}

/** Restores the autosave of run `runId` as restore-checkpoint does; says so when the run had none yet. */
export async function restoreAutosave(state: WorkerState, e: Engine, runId: string, data: TrainingData): Promise<TrainingStateInfo> {
  const name = autosaveName(runId);
  const store = await state.checkpoints();
  if (!(await store.names()).includes(name)) {
    throw new InputError('This run was interrupted before its first save (runs save right after their first step), so it cannot be resumed; discard it and start it again.');
  }
  return restoreSession(state, e, await store.load(name), data, 'the autosave of the interrupted run');
}

/**
 * Puts trained weights back: those from before the last run that changed them, or the model's as
 * loaded. The session ends, since its Adam moments belong to the weights being replaced.
 */
export async function restoreWeights(state: WorkerState, e: Engine, which: RestorableWeights): Promise<{ restored: string; deltaNorms: LayerDeltaNorms[] }> {
  if (state.control) throw new InputError('Stop the training run before restoring weights.');
  const hosted = requireModel(state);
  const history = state.histories.get(hosted);
  const change = history?.lastChange;
  if (!history || !change) throw new InputError('The weights on the GPU are the model\'s as loaded; there is nothing to restore.');
  if (history.beyondQK) throw new InputError('An end-to-end run trained v and o too, which are not kept for restoring; load the model again to get its weights back.');
  const snapshot = which === 'loaded' ? history.loaded : change.before;
  if (!snapshot) throw new InputError(`The weights from before ${change.describe()} are no longer kept; restore the model's loaded weights instead.`);
  await state.gpuWork.run(async () => snapshot.restore(e, hosted.model));
  if (state.session?.hosted === hosted) {
    const old = state.session;
    state.session = null;
    void state.gpuWork.run(async () => old.trainer.release());
  }
  const restored = which === 'loaded' ? "the model's loaded weights" : `the weights from before ${change.describe()}`;
  const prior = change.prior;
  history.lastChange = which === 'loaded' || prior === null ? null : { describe: () => prior, before: null, prior: null };
  return { restored, deltaNorms: await state.gpuWork.run(() => deltaNorms(e, hosted.model, history.loaded)) };
}

/** Which weights restore-weights can put back now; empty while the weights are as loaded. */
export function restorableWeights(state: WorkerState): RestorableWeights[] {
  const hosted = state.model;
  const history = hosted && state.histories.get(hosted);
  if (!history?.lastChange || history.beyondQK) return [];
  return history.lastChange.before ? ['before-run', 'loaded'] : ['loaded'];
}

/** The session to go on with: the same model and, but for the number of steps, the same options. */
function continuable(state: WorkerState, options: TrainOptions): TrainingSession {
  if (!state.session || state.session.hosted !== state.model) throw new InputError('There is no training session on this model to continue; start a new run.');
  // Option by option: a session restored from a checkpoint holds its options in another key order.
  const differences = optionDifferences(state.session.options, options);
  if (differences.length > 0) {
    throw new InputError(`The settings differ from those of the session to continue (${differences.join('; ')}); only the number of steps may change; start a new run instead.`);
  }
  state.session = { ...state.session, options };
  return state.session;
}

/** The session's trained weights, Adam state, 𝒜 and step count as checkpoint bytes. */
export async function saveSession(state: WorkerState, e: Engine): Promise<Uint8Array> {
  const current = state.session;
  if (!current) throw new InputError('There is no training session to save; train for at least one step first.');
  return state.gpuWork.run(() => saveRun(e, current, current.hosted.model.label));
}

/**
 * A session for `data` with the checkpoint's options, its state restored; the current session stays
 * when the checkpoint does not fit (another model, other data).
 */
export async function restoreSession(state: WorkerState, e: Engine, bytes: Uint8Array, data: TrainingData, source: string): Promise<TrainingStateInfo> {
  if (state.control) throw new InputError('Stop the training run before restoring a checkpoint.');
  const info = await readTrainingStateInfo(bytes);
  const next = await createSession(state, e, info.options, data);
  try {
    // Both before the checkpoint's weights overwrite the loaded ones: ΔW and the explorer's base compare with the model as loaded.
    const history = await historyOf(state, e, next.hosted);
    await state.gpuWork.run(async () => keepBaseAttention(state, e, next.hosted));
    const before = history.lastChange ? await state.gpuWork.run(() => WeightSnapshot.take(e, next.hosted.model)) : history.loaded;
    await state.gpuWork.run(() => restoreRun(e, next, bytes, next.hosted.model.label));
    history.lastChange = { describe: () => `${describeRun(info.options, info.stepsDone, null)} saved in ${source}`, before, prior: history.lastChange?.describe() ?? null };
  } catch (error) {
    next.trainer.release();
    throw error;
  }
  replaceSession(state, next);
  return info;
}

/**
 * The loaded model with its weights as they are now, as one model.safetensors; the metadata says
 * how it was trained, so the file explains itself.
 */
export async function exportWeights(state: WorkerState, e: Engine): Promise<Uint8Array<ArrayBuffer>> {
  const { model, folder } = requireModel(state);
  const trained = state.session?.hosted.model === model ? state.session : null;
  const metadata = trainedMetadata(model.label, trained && { options: trained.options, steps: trained.trainer.steps });
  const source = await openCheckpoint(folder);
  return state.gpuWork.run(() => exportRun(e, model, source, metadata));
}
