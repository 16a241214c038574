/**
 * The worker's training session: prompts built from rows and a template with the loaded model's
 * tokenizer, one Trainer, and the run loop that pause, resume and stop steer between steps. The
 * session outlives its run, so evaluation, export and checkpoints see the trained weights, and a
 * stopped or restored run can go on where it was.
 */
import type { PreparedPrompt } from '../abft/prepared';
import { InputError } from '../data/dataset';
import type { Engine } from '../engine/engine';
import { openCheckpoint } from '../model/checkpoint';
import { exportFineTuned } from '../model/export';
import { AutosaveSchedule, autosaveName, isAutosaveName } from '../train/autosave';
import { dataFingerprint, optionDifferences, readTrainingStateInfo, restoreTrainingState, saveTrainingState, type TrainingStateInfo } from '../train/checkpoint';
import { checkpointStore } from './checkpoint-store';
import { keepBaseAttention, releaseBaseAttention } from './attention-host';
import { deltaNorms, WeightSnapshot, type LayerDeltaNorms } from '../train/delta-norms';
import { hostedModel, type HostedModel } from './model-host';
import { describeRun, explainNonFinite } from '../train/non-finite';
import type { TrainOptions } from '../train/options';
import { preparePromptSet, trainingDraws, trainingPromptCount, trainingRows } from '../session/prompt-sets';
import type { AutosaveRequest, RestorableWeights, TrainingData } from '../train/protocol';
import { gpuWork } from './serial';
import { NonFiniteLossError, Trainer, type StepMetrics } from '../train/trainer';

export interface TrainingSession {
  readonly hosted: HostedModel;
  readonly options: TrainOptions;
  /** Identifies the training prompts, for checkpoints. */
  readonly fingerprint: string;
  readonly prompts: readonly PreparedPrompt[];
  readonly trainer: Trainer;
}

/** How a run ended without an error, with how far W_Q and W_K have moved from the loaded model's (App. B). */
export type RunOutcome = { readonly outcome: 'done' | 'stopped'; readonly stepsDone: number; readonly deltaNorms: LayerDeltaNorms[] };

/** The pause gate and stop flag a run checks between steps. */
class RunControl {
  private stopRequested = false;
  private gate: { promise: Promise<void>; open: () => void } | null = null;
  /** Pause requests waiting for the step in flight to end. */
  private pauseWaiters: (() => void)[] = [];

  /** Resolves once the run waits between steps (or has ended), so a paused run is really idle. */
  pause(): Promise<void> {
    if (!this.gate) {
      let open = () => {};
      const promise = new Promise<void>((resolve) => (open = resolve));
      this.gate = { promise, open };
    }
    return new Promise((resolve) => this.pauseWaiters.push(resolve));
  }

  resume(): void {
    this.gate?.open();
    this.gate = null;
  }

  stop(): void {
    this.stopRequested = true;
    this.resume();
    this.autosavePoint?.answer(false);
  }

  /** The save point the run waits at, until the page answers (or the run is stopped). */
  private autosavePoint: { readonly step: number; answer: (write: boolean) => void; readonly saved: Promise<AutosaveResult> } | null = null;

  /**
   * Waits after step `step` for the page's answer; when asked to write, reads the state off the GPU
   * (`read`: its errors are the run's, as any GPU error is) and stores it (`store`: its failure, a
   * full disk, only goes to the answer's reply, and the run goes on). The reply (see
   * `answerAutosave`) waits for the write.
   */
  async autosaveAt(step: number, read: () => Promise<Uint8Array>, store: (bytes: Uint8Array) => Promise<AutosaveResult>): Promise<void> {
    let answer: (write: boolean) => void = () => {};
    const write = new Promise<boolean>((resolve) => (answer = resolve));
    let settle: (result: Promise<AutosaveResult>) => void = () => {};
    const saved = new Promise<AutosaveResult>((resolve) => (settle = resolve));
    this.autosavePoint = { step, answer, saved };
    try {
      if (!(await write) || this.stopRequested) return settle(Promise.resolve(null));
      let bytes: Uint8Array;
      try {
        bytes = await read();
      } catch (error) {
        settle(Promise.reject(error));
        throw error;
      }
      const stored = store(bytes);
      settle(stored);
      await stored.catch(() => undefined);
    } finally {
      this.autosavePoint = null;
    }
  }

  /** The page's answer at save point `step`; null when the run is not waiting there (it was stopped meanwhile). */
  answerAutosave(step: number, write: boolean): Promise<AutosaveResult> {
    const point = this.autosavePoint;
    if (!point || point.step !== step) return Promise.resolve(null);
    point.answer(write);
    return point.saved;
  }

  /** Waits while paused; false when the run must stop. */
  async proceed(): Promise<boolean> {
    // One turn of the event loop, so a pause or stop that arrived during the step is seen before the next.
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (this.gate && !this.stopRequested) {
      this.settlePauses();
      await this.gate.promise;
    }
    return !this.stopRequested;
  }

  settlePauses(): void {
    for (const resolve of this.pauseWaiters.splice(0)) resolve();
  }
}

/** What an autosave wrote, or null when it wrote nothing. */
export type AutosaveResult = { readonly bytes: number; readonly ms: number } | null;

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
interface WeightsHistory {
  /** W_Q and W_K as loaded, taken before anything changed them: the ΔW norms' reference and what "loaded" restores. */
  readonly loaded: WeightSnapshot;
  /** The last change; null while the weights are as loaded. */
  lastChange: WeightsChange | null;
  /** A run trained v and o too (end-to-end over every attention projection), which the snapshots do not hold. */
  beyondQK: boolean;
}

let session: TrainingSession | null = null;
const histories = new WeakMap<HostedModel, WeightsHistory>();
let control: RunControl | null = null;

/** The model's history, its loaded weights read on first use: call it before anything writes to W_Q or W_K. */
async function historyOf(e: Engine, hosted: HostedModel): Promise<WeightsHistory> {
  let history = histories.get(hosted);
  if (!history) {
    history = { loaded: await gpuWork.run(() => WeightSnapshot.take(e, hosted.model)), lastChange: null, beyondQK: false };
    histories.set(hosted, history);
  }
  return history;
}

export function currentSession(): TrainingSession | null {
  return session;
}

export function trainingActive(): boolean {
  return control !== null;
}

function requireModel(): HostedModel {
  const hosted = hostedModel();
  if (!hosted) throw new InputError('No model is loaded; load one in the Model panel first.');
  return hosted;
}

function requireRun(action: string): RunControl {
  if (!control) throw new InputError(`There is no training run to ${action}; start one first.`);
  return control;
}

export function pauseTraining(): Promise<void> {
  return requireRun('pause').pause();
}

export function resumeTraining(): void {
  requireRun('resume').resume();
}

export function stopTraining(): void {
  requireRun('stop').stop();
}

/** Gives the session's GPU buffers back: its model is being released, or a new session replaces it. */
export function discardSession(): void {
  control?.stop();
  session?.trainer.release();
  session = null;
  releaseBaseAttention();
}

/** A session on the loaded model, every prompt checked; it replaces the current one only once built. */
async function createSession(e: Engine, options: TrainOptions, data: TrainingData): Promise<TrainingSession> {
  const hosted = requireModel();
  const rows = trainingRows(data);
  const { prompts, labels } = await preparePromptSet(hosted.model, rows.template, trainingDraws(rows, options), 'training prompt', options.labelScoring);
  const fingerprint = await dataFingerprint(rows.rows, rows.template, `${trainingPromptCount(options)} prompts`);
  const trainer = await gpuWork.run(async () => new Trainer(e, hosted.model, prompts, options, labels));
  return { hosted, options, fingerprint, prompts, trainer };
}

function replaceSession(next: TrainingSession): void {
  const old = session;
  session = next;
  // Queued, so GPU work already waiting (a checkpoint save) still finds the old buffers.
  if (old) void gpuWork.run(async () => old.trainer.release());
}

export interface StartRequest {
  readonly options: TrainOptions;
  readonly data: TrainingData;
  readonly continueSession?: boolean;
  readonly autosave?: AutosaveRequest;
}

export async function startTraining(e: Engine, request: StartRequest, onStep: (metrics: StepMetrics) => void, onAutosaveDue: (step: number) => void = () => {}): Promise<RunOutcome> {
  if (control) throw new InputError('Training is already running; stop it before starting another run.');
  const run = new RunControl();
  control = run;
  try {
    const current = request.continueSession ? continuable(request.options) : await createSession(e, request.options, request.data);
    if (current !== session) replaceSession(current);
    const { trainer, hosted } = current;
    const history = await historyOf(e, hosted);
    await gpuWork.run(async () => keepBaseAttention(e, hosted));
    // Kept for "restore the weights from before this run"; the first run's are the loaded ones.
    const before = history.lastChange ? await gpuWork.run(() => WeightSnapshot.take(e, hosted.model)) : history.loaded;
    let applied = 0;
    let failedAt: number | null = null;
    const change: WeightsChange = { describe: () => describeRun(request.options, applied, failedAt), before, prior: history.lastChange?.describe() ?? null };
    const autosave = request.autosave ? new AutosaveSchedule(request.autosave.everySteps ?? null) : null;
    const outcome = async (kind: RunOutcome['outcome']): Promise<RunOutcome> => ({
      outcome: kind,
      stepsDone: trainer.steps,
      deltaNorms: await gpuWork.run(() => deltaNorms(e, hosted.model, history.loaded)),
    });
    while (trainer.steps < request.options.steps) {
      if (!(await run.proceed())) return outcome('stopped');
      let metrics: StepMetrics;
      try {
        metrics = await gpuWork.run(() => trainer.step());
      } catch (error) {
        if (!(error instanceof NonFiniteLossError)) throw error;
        failedAt = error.step;
        throw explainNonFinite(error, {
          runSteps: applied,
          lr: request.options.lr,
          earlier: applied === 0 ? (history.lastChange?.describe() ?? null) : null,
          afterThisRun: 'Restore the weights from before this run (or the model\'s loaded weights).',
          afterEarlier: 'Restore the weights from before that run, or the model\'s loaded weights, then train again.',
        });
      }
      if (applied++ === 0) {
        history.lastChange = change;
        if (request.options.trainable !== 'qk' && request.options.objective === 'end-to-end') history.beyondQK = true;
      }
      onStep(metrics);
      if (autosave?.due(trainer.steps, request.options.steps)) {
        onAutosaveDue(trainer.steps);
        let started = 0;
        await run.autosaveAt(
          trainer.steps,
          () => {
            started = performance.now();
            return gpuWork.run(() => saveTrainingState(e, trainer, stateMeta(current)));
          },
          async (bytes) => {
            await storeAutosave(request.autosave!.runId, bytes);
            const ms = performance.now() - started;
            autosave.saved(ms);
            return { bytes: bytes.byteLength, ms };
          },
        );
      }
    }
    return outcome('done');
  } finally {
    run.settlePauses();
    control = null;
  }
}

/** The page's answer at an autosave point of the running run; null (nothing written) when no run waits there. */
export function answerAutosave(step: number, write: boolean): Promise<AutosaveResult> {
  return control ? control.answerAutosave(step, write) : Promise.resolve(null);
}

/** A run's state under its autosave name; other runs' autosaves are removed, so one is kept at a time. */
async function storeAutosave(runId: string, bytes: Uint8Array): Promise<void> {
  const name = autosaveName(runId);
  const store = await checkpointStore();
  await store.save(name, bytes);
  for (const other of await store.names()) if (isAutosaveName(other) && other !== name) await store.delete(other);
}

export async function discardAutosave(runId: string): Promise<void> {
  await (await checkpointStore()).delete(autosaveName(runId));
}

/** Restores the autosave of run `runId` as restore-checkpoint does; says so when the run had none yet. */
export async function restoreAutosave(e: Engine, runId: string, data: TrainingData): Promise<TrainingStateInfo> {
  const name = autosaveName(runId);
  const store = await checkpointStore();
  if (!(await store.names()).includes(name)) {
    throw new InputError('This run was interrupted before its first save (runs save right after their first step), so it cannot be resumed; discard it and start it again.');
  }
  return restoreSession(e, await store.load(name), data, 'the autosave of the interrupted run');
}

/**
 * Puts trained weights back: those from before the last run that changed them, or the model's as
 * loaded. The session ends, since its Adam moments belong to the weights being replaced.
 */
export async function restoreWeights(e: Engine, which: RestorableWeights): Promise<{ restored: string; deltaNorms: LayerDeltaNorms[] }> {
  if (control) throw new InputError('Stop the training run before restoring weights.');
  const hosted = requireModel();
  const history = histories.get(hosted);
  const change = history?.lastChange;
  if (!history || !change) throw new InputError('The weights on the GPU are the model\'s as loaded; there is nothing to restore.');
  if (history.beyondQK) throw new InputError('An end-to-end run trained v and o too, which are not kept for restoring; load the model again to get its weights back.');
  const snapshot = which === 'loaded' ? history.loaded : change.before;
  if (!snapshot) throw new InputError(`The weights from before ${change.describe()} are no longer kept; restore the model's loaded weights instead.`);
  await gpuWork.run(async () => snapshot.restore(e, hosted.model));
  if (session?.hosted === hosted) {
    const old = session;
    session = null;
    void gpuWork.run(async () => old.trainer.release());
  }
  const restored = which === 'loaded' ? "the model's loaded weights" : `the weights from before ${change.describe()}`;
  const prior = change.prior;
  history.lastChange = which === 'loaded' || prior === null ? null : { describe: () => prior, before: null, prior: null };
  return { restored, deltaNorms: await gpuWork.run(() => deltaNorms(e, hosted.model, history.loaded)) };
}

/** Which weights restore-weights can put back now; empty while the weights are as loaded. */
export function restorableWeights(): RestorableWeights[] {
  const hosted = hostedModel();
  const history = hosted && histories.get(hosted);
  if (!history?.lastChange || history.beyondQK) return [];
  return history.lastChange.before ? ['before-run', 'loaded'] : ['loaded'];
}

/** The session to go on with: the same model and, but for the number of steps, the same options. */
function continuable(options: TrainOptions): TrainingSession {
  if (!session || session.hosted !== hostedModel()) throw new InputError('There is no training session on this model to continue; start a new run.');
  // Option by option: a session restored from a checkpoint holds its options in another key order.
  const differences = optionDifferences(session.options, options);
  if (differences.length > 0) {
    throw new InputError(`The settings differ from those of the session to continue (${differences.join('; ')}); only the number of steps may change; start a new run instead.`);
  }
  session = { ...session, options };
  return session;
}

function stateMeta(current: TrainingSession) {
  return { modelLabel: current.hosted.model.label, options: current.options, dataFingerprint: current.fingerprint };
}

/** The session's trained weights, Adam state, 𝒜 and step count as checkpoint bytes. */
export async function saveSession(e: Engine): Promise<Uint8Array> {
  const current = session;
  if (!current) throw new InputError('There is no training session to save; train for at least one step first.');
  return gpuWork.run(() => saveTrainingState(e, current.trainer, stateMeta(current)));
}

/**
 * A session for `data` with the checkpoint's options, its state restored; the current session stays
 * when the checkpoint does not fit (another model, other data).
 */
export async function restoreSession(e: Engine, bytes: Uint8Array, data: TrainingData, source: string): Promise<TrainingStateInfo> {
  if (control) throw new InputError('Stop the training run before restoring a checkpoint.');
  const info = await readTrainingStateInfo(bytes);
  const next = await createSession(e, info.options, data);
  try {
    // Both before the checkpoint's weights overwrite the loaded ones: ΔW and the explorer's base compare with the model as loaded.
    const history = await historyOf(e, next.hosted);
    await gpuWork.run(async () => keepBaseAttention(e, next.hosted));
    const before = history.lastChange ? await gpuWork.run(() => WeightSnapshot.take(e, next.hosted.model)) : history.loaded;
    await gpuWork.run(() => restoreTrainingState(e, next.trainer, bytes, { modelLabel: next.hosted.model.label, dataFingerprint: next.fingerprint }));
    history.lastChange = { describe: () => `${describeRun(info.options, info.stepsDone, null)} saved in ${source}`, before, prior: history.lastChange?.describe() ?? null };
  } catch (error) {
    next.trainer.release();
    throw error;
  }
  replaceSession(next);
  return info;
}

/**
 * The loaded model with its weights as they are now, as one model.safetensors; the metadata says
 * how it was trained, so the file explains itself.
 */
export async function exportWeights(e: Engine): Promise<Uint8Array<ArrayBuffer>> {
  const { model, folder } = requireModel();
  const trained = session?.hosted.model === model ? session : null;
  const metadata: Record<string, string> = { base_model: model.label, fine_tuned_with: 'ABFT Studio' };
  if (trained) {
    metadata.training_steps = String(trained.trainer.steps);
    metadata.training_options = JSON.stringify(trained.options);
  }
  const source = await openCheckpoint(folder);
  return gpuWork.run(() => exportFineTuned(e, model.spec, model.weights, source, metadata));
}
