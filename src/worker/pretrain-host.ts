/**
 * Pretraining from scratch in the worker, so a class can watch induction heads form: the config
 * checked, the loaded model released for a random one, then the loop `abft pretrain` runs
 * (pretrain/loop.ts), reporting every step, the label-attention score of every head
 * (pretrain/label-attention.ts) every few steps, and the ICL accuracy when the config evaluates
 * (every `eval.every` steps and at the last).
 * `stop` ends it between steps. However it ends without an error, the pretrained model becomes
 * the loaded one, its folder holding the pretrained weights, so Explore, Train, Evaluate and the
 * exports all work on it; its optimizer state is given back first.
 */
import { InputError } from '../data/dataset';
import type { Engine } from '../engine/engine';
import { memoryFolder, type ModelFolder } from '../model/files';
import { loadModel, readModelSpec, releaseModel, type LoadedModel } from '../model/load';
import { checkFitsAdapter } from '../model/memory';
import { parsePretrainConfig, PretrainConfigError, type PretrainConfig } from '../pretrain/config';
import { measureIclSplits, type IclMeasure } from '../pretrain/icl-eval';
import { initialModelFiles } from '../pretrain/initial-model';
import { labelAttentionProbe, labelAttentionScores } from '../pretrain/label-attention';
import { evalDue, PretrainLoop } from '../pretrain/loop';
import { pretrainedFiles } from '../pretrain/pretrained-files';
import type { ModelSummary, PretrainAccuracy, PretrainOutcome, PretrainProgress } from '../train/protocol';
import { afterLoads, modelSummary, releaseHostedModel } from './model-host';
import { RunControl } from './run-control';
import type { WorkerState } from './state';
import { runInProgress } from './training-host';

/** What the messages call the config the page sent. */
const CONFIG_SOURCE = 'the pretraining recipe';

export interface PretrainRequest {
  readonly config: unknown;
  /** Steps between head scores; the config's logEvery when absent. */
  readonly measureEvery?: number;
}

export interface PretrainEnd {
  readonly outcome: PretrainOutcome;
  readonly stepsDone: number;
  /** Why a diverged run stopped; null otherwise. */
  readonly message: string | null;
  /** The pretrained model, now the loaded one. */
  readonly model: ModelSummary;
}

function checkedConfig(json: unknown): PretrainConfig {
  try {
    return parsePretrainConfig(json, CONFIG_SOURCE);
  } catch (error) {
    throw error instanceof PretrainConfigError ? new InputError(error.message) : error;
  }
}

function checkedMeasureEvery(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new InputError(`measureEvery is ${JSON.stringify(value)}; it must be a whole number of at least 1 (the steps between head scores).`);
  return value;
}

function accuracyOf(m: IclMeasure): PretrainAccuracy {
  return { recoverable: m.recoverable.accuracy, unseen: m.unseen.accuracy, copyBaseline: m.copyBaseline };
}

/**
 * The random model on the GPU in place of the loaded one, which is released only once the random
 * one is known to fit the adapter; after any load queued before it.
 */
function initialModel(state: WorkerState, e: Engine, folder: ModelFolder, onReleased: (label: string) => void): Promise<LoadedModel> {
  return afterLoads(state, async () => {
    checkFitsAdapter(await readModelSpec(folder), e.limits, 'f32');
    releaseHostedModel(state, onReleased);
    // Every weight trains, so every weight is f32.
    return loadModel(e, folder, { frozenDType: 'f32' });
  });
}

/**
 * `engine` is asked for once the run is claimed, so a `stop` that follows the request at once finds
 * it; `onReleased`: the loaded model was given back (the page's summary of it is then out of date).
 */
export async function pretrainFromScratch(
  state: WorkerState,
  engine: () => Promise<Engine>,
  request: PretrainRequest,
  onProgress: (progress: PretrainProgress) => void,
  onReleased: (label: string) => void,
): Promise<PretrainEnd> {
  const config = checkedConfig(request.config);
  const measureEvery = checkedMeasureEvery(request.measureEvery, config.logEvery);
  const running = runInProgress(state);
  if (running) throw new InputError(`${running}; stop it before pretraining a model.`);
  const run = new RunControl('pretraining');
  state.control = run;
  let model: LoadedModel | null = null;
  let loop: PretrainLoop | null = null;
  const gpu = <T>(job: () => Promise<T>) => state.gpuWork.run(job);
  try {
    const e = await engine();
    const files = initialModelFiles(config);
    const m = (model = await initialModel(state, e, memoryFolder(`a random ${config.model.layers}-layer model (seed ${config.seed})`, files), onReleased));
    const l = (loop = new PretrainLoop(e, m, config));
    const probe = labelAttentionProbe(config);
    let measuredAt = -1;
    const measureHeads = async () => {
      const scores = await gpu(() => labelAttentionScores(e, m.spec, m.weights, probe, config.batch.microBatch));
      measuredAt = l.stepsDone;
      onProgress({ kind: 'heads', step: measuredAt, scores });
    };
    const evaluate = async () => {
      onProgress({ kind: 'evaluating', step: l.stepsDone, sequences: 2 * config.eval.sequences });
      const { heldOut, train } = await gpu(() => measureIclSplits(e, m, config));
      onProgress({ kind: 'eval', step: l.stepsDone, heldOut: accuracyOf(heldOut), train: accuracyOf(train) });
    };

    onProgress({ kind: 'started', steps: config.steps, layers: m.spec.numLayers, heads: m.spec.numHeads, parameters: m.parameters });
    // Unlike abft pretrain, no evaluation before the first step: random weights score chance, and on
    // a software adapter it would take minutes before the page saw the first step and its speed.
    await measureHeads();
    let outcome: PretrainOutcome = 'done';
    let message: string | null = null;
    while (!l.finished) {
      if (!(await run.proceed())) {
        outcome = 'stopped';
        break;
      }
      const attempt = await gpu(() => l.attempt());
      if (attempt.kind === 'skipped') {
        onProgress({ kind: 'skipped', step: attempt.step, loss: attempt.loss });
        if (attempt.diverged) {
          [outcome, message] = ['diverged', attempt.diverged];
          break;
        }
        continue;
      }
      const { step, result, tokensSeen, ms } = attempt;
      onProgress({ kind: 'step', step, loss: result.loss, lr: result.lr, gradNorm: result.gradNorm, tokens: tokensSeen, ms });
      if (step % measureEvery === 0) await measureHeads();
      if (evalDue(config, step)) await evaluate();
    }
    // The grid ends on the weights handed over.
    if (measuredAt !== l.stepsDone) await measureHeads();

    const progress = { stepsDone: l.stepsDone, tokensSeen: l.tokensSeen };
    l.release();
    loop = null;
    const pretrained = await gpu(() => pretrainedFiles(e, m, config, files, progress));
    const label = `pretrained here from scratch (${progress.stepsDone} of ${config.steps} steps)`;
    state.model = { model: { ...m, label }, folder: memoryFolder(label, pretrained) };
    model = null;
    return { outcome, stepsDone: progress.stepsDone, message, model: modelSummary(state.model.model) };
  } finally {
    loop?.release();
    if (model) releaseModel(model);
    run.settlePauses();
    state.control = null;
  }
}
