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
import { dataFingerprint, readTrainingStateInfo, restoreTrainingState, saveTrainingState, type TrainingStateInfo } from './checkpoint';
import { keepBaseAttention, releaseBaseAttention } from './attention-host';
import { deltaNorms, WeightSnapshot, type LayerDeltaNorms } from './delta-norms';
import { hostedModel, type HostedModel } from './model-host';
import type { TrainOptions } from './options';
import { preparePromptSet, trainingDraws, trainingPromptCount, trainingRows } from './prompt-sets';
import type { TrainingData } from './protocol';
import { gpuWork } from './serial';
import { Trainer, type StepMetrics } from './trainer';

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

let session: TrainingSession | null = null;
/** W_Q and W_K as loaded, taken before the first step on each model, for the ΔW norms. */
const baseWeights = new WeakMap<HostedModel, WeightSnapshot>();
let control: RunControl | null = null;

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
}

export async function startTraining(e: Engine, request: StartRequest, onStep: (metrics: StepMetrics) => void): Promise<RunOutcome> {
  if (control) throw new InputError('Training is already running; stop it before starting another run.');
  const run = new RunControl();
  control = run;
  try {
    const current = request.continueSession ? continuable(request.options) : await createSession(e, request.options, request.data);
    if (current !== session) replaceSession(current);
    const { trainer, hosted } = current;
    if (!baseWeights.has(hosted)) baseWeights.set(hosted, await gpuWork.run(() => WeightSnapshot.take(e, hosted.model)));
    await gpuWork.run(async () => keepBaseAttention(e, hosted));
    const outcome = async (kind: RunOutcome['outcome']): Promise<RunOutcome> => ({
      outcome: kind,
      stepsDone: trainer.steps,
      deltaNorms: await gpuWork.run(() => deltaNorms(e, hosted.model, baseWeights.get(hosted)!)),
    });
    while (trainer.steps < request.options.steps) {
      if (!(await run.proceed())) return outcome('stopped');
      onStep(await gpuWork.run(() => trainer.step()));
    }
    return outcome('done');
  } finally {
    run.settlePauses();
    control = null;
  }
}

/** The session to go on with: the same model and, but for the number of steps, the same options. */
function continuable(options: TrainOptions): TrainingSession {
  if (!session || session.hosted !== hostedModel()) throw new InputError('There is no training session on this model to continue; start a new run.');
  const withoutSteps = (o: TrainOptions) => JSON.stringify({ ...o, steps: 0 });
  if (withoutSteps(options) !== withoutSteps(session.options)) throw new InputError('The settings differ from those of the session to continue (only the number of steps may change); start a new run instead.');
  session = { ...session, options };
  return session;
}

/** The session's trained weights, Adam state, 𝒜 and step count as checkpoint bytes. */
export async function saveSession(e: Engine): Promise<Uint8Array> {
  const current = session;
  if (!current) throw new InputError('There is no training session to save; train for at least one step first.');
  return gpuWork.run(() =>
    saveTrainingState(e, current.trainer, { modelLabel: current.hosted.model.label, options: current.options, dataFingerprint: current.fingerprint }),
  );
}

/**
 * A session for `data` with the checkpoint's options, its state restored; the current session stays
 * when the checkpoint does not fit (another model, other data).
 */
export async function restoreSession(e: Engine, bytes: Uint8Array, data: TrainingData): Promise<TrainingStateInfo> {
  if (control) throw new InputError('Stop the training run before restoring a checkpoint.');
  const info = await readTrainingStateInfo(bytes);
  const next = await createSession(e, info.options, data);
  try {
    await gpuWork.run(async () => keepBaseAttention(e, next.hosted));
    await gpuWork.run(() => restoreTrainingState(e, next.trainer, bytes, { modelLabel: next.hosted.model.label, dataFingerprint: next.fingerprint }));
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
