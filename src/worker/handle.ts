/**
 * The trainer worker's requests, each handled on the one worker state it is given: what the
 * browser worker (worker.ts) runs for every message, and what Node tests call on Dawn.
 */
import { InputError } from '../data/dataset';
import type { Engine } from '../engine/engine';
import { GpuDeviceLostError, WebGpuUnavailableError } from '../engine/errors';
import { runSelfCheck } from '../engine/self-check';
import { CheckpointMismatchError } from '../train/checkpoint';
import type { EvaluationProgress, GpuInfo, WorkerError, WorkerMessage, WorkerRequest } from '../train/protocol';
import { NonFiniteLossError } from '../train/trainer';
import { attentionMaps } from './attention-host';
import { checkCheckpointName } from './checkpoint-store';
import { evaluateSetSuite } from './evaluation-host';
import { cachedModels, deleteCachedModel, loadModelFrom } from './model-host';
import { exportOnnxZip, verifyOnnx } from './onnx-host';
import { pretrainFromScratch } from './pretrain-host';
import { previewPrompt } from './preview-host';
import { engineOf, type WorkerState } from './state';
import {
  answerAutosave,
  discardAutosave,
  discardSession,
  exportWeights,
  pauseTraining,
  restorableWeights,
  restoreAutosave,
  restoreSession,
  releaseSession,
  restoreWeights,
  resumeTraining,
  saveSession,
  startTraining,
  runInProgress,
  stopTraining,
} from './training-host';

function gpuInfo(e: Engine): GpuInfo {
  return {
    adapter: e.adapter,
    adapterName: e.adapterName,
    features: e.features,
    maxStorageBufferBindingSize: e.limits.maxStorageBufferBindingSize,
    maxBufferSize: e.limits.maxBufferSize,
  };
}

/**
 * A readback in flight when the device goes fails with the browser's own words ("Failed to execute
 * 'mapAsync' ... The Device was lost"), often before the device's lost promise has told the engine.
 */
const DEVICE_LOST_DOM_ERROR = /device (was|is) lost|device lost/i;

export function toWorkerError(error: unknown): WorkerError {
  if (error instanceof WebGpuUnavailableError) return { kind: 'webgpu-unavailable', message: error.message };
  if (error instanceof GpuDeviceLostError) return { kind: 'device-lost', message: error.message };
  if (error instanceof DOMException && DEVICE_LOST_DOM_ERROR.test(error.message)) return { kind: 'device-lost', message: new GpuDeviceLostError('lost during a GPU readback', error.message).message };
  if (error instanceof InputError || error instanceof CheckpointMismatchError) return { kind: 'input', message: error.message };
  if (error instanceof NonFiniteLossError) return { kind: 'non-finite-loss', message: error.message };
  return { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
}

/** The reply to one request; what it posts meanwhile (progress, steps) goes through `state.post`. */
export async function handle(state: WorkerState, request: WorkerRequest): Promise<WorkerMessage> {
  const engine = () => engineOf(state);
  switch (request.type) {
    case 'probe':
      return { id: request.id, type: 'probe', gpu: gpuInfo(await engine()) };
    case 'self-check':
      return { id: request.id, type: 'self-check', results: await runSelfCheck(await engine()) };
    case 'load-model':
      return { id: request.id, type: 'load-model', model: await loadModelRequest(state, request) };
    case 'cached-models':
      return { id: request.id, type: 'cached-models', models: await cachedModels(state) };
    case 'delete-cached-model':
      return { id: request.id, type: 'delete-cached-model', models: await deleteCachedModel(state, request.repo, request.revision, request.endpoint) };
    case 'cancel':
      state.cancellable.get(request.target)?.abort();
      return { id: request.id, type: 'cancel' };
    case 'start-training':
      return trainRequest(state, request);
    case 'pause':
      await pauseTraining(state);
      return { id: request.id, type: 'pause' };
    case 'resume':
      resumeTraining(state);
      return { id: request.id, type: 'resume' };
    case 'stop':
      stopTraining(state);
      return { id: request.id, type: 'stop' };
    case 'evaluate-suite': {
      const onProgress = (progress: EvaluationProgress) => state.post({ id: request.id, type: 'evaluation-progress', progress });
      return { id: request.id, type: 'evaluate-suite', report: await evaluateSetSuite(state, await engine(), request.set, request.measures, request.microBatch, onProgress) };
    }
    case 'attention':
      return { id: request.id, type: 'attention', attention: await attentionMaps(state, await engine(), request) };
    case 'export-weights':
      return { id: request.id, type: 'export-weights', bytes: await exportWeights(state, await engine()) };
    case 'export-onnx':
      return { id: request.id, type: 'export-onnx', result: await exportOnnxZip(state, await engine()) };
    case 'verify-onnx':
      return { id: request.id, type: 'verify-onnx', verification: await verifyOnnx(state, await engine(), request.set, request.maxPrompts) };
    case 'save-checkpoint': {
      checkCheckpointName(request.name);
      const store = await state.checkpoints();
      await store.save(request.name, await saveSession(state, await engine()));
      return { id: request.id, type: 'save-checkpoint', checkpoints: await store.list() };
    }
    case 'restore-checkpoint': {
      checkCheckpointName(request.name);
      const bytes = await (await state.checkpoints()).load(request.name);
      const info = await restoreSession(state, await engine(), bytes, request.data, `checkpoint ${request.name}`);
      return { id: request.id, type: 'restore-checkpoint', stepsDone: info.stepsDone, options: info.options };
    }
    case 'list-checkpoints':
      return { id: request.id, type: 'list-checkpoints', checkpoints: await (await state.checkpoints()).list() };
    case 'preview-prompt':
      return { id: request.id, type: 'preview-prompt', preview: previewPrompt(state, request.input) };
    case 'autosave':
      return { id: request.id, type: 'autosave', step: request.step, saved: await answerAutosave(state, request.step, request.write) };
    case 'restore-autosave': {
      const info = await restoreAutosave(state, await engine(), request.runId, request.data);
      return { id: request.id, type: 'restore-autosave', stepsDone: info.stepsDone, options: info.options };
    }
    case 'discard-autosave':
      await discardAutosave(state, request.runId);
      return { id: request.id, type: 'discard-autosave' };
    case 'restore-weights': {
      const { restored, deltaNorms } = await restoreWeights(state, await engine(), request.which);
      return { id: request.id, type: 'restore-weights', which: request.which, restored, deltaNorms };
    }
    case 'start-pretraining': {
      const end = await pretrainFromScratch(
        state,
        engine,
        request,
        (progress) => state.post({ id: request.id, type: 'pretrain-progress', progress }),
        // The pretraining run is the only run, so the session goes without stopping anything.
        (label) => {
          releaseSession(state);
          tellReleased(state, label);
        },
      );
      return { id: request.id, type: 'pretrain-ended', ...end };
    }
  }
}

/** The page's model summary is out of date once its model is released, whatever comes next. */
function tellReleased(state: WorkerState, label: string): void {
  state.post({ id: null, type: 'model-released', label });
}

/**
 * A run's failure, input errors included, is its final message; the weights of the last good step
 * stay, and a non-finite loss says which weights can be restored.
 */
async function trainRequest(state: WorkerState, { id, options, data, continueSession, autosave }: Extract<WorkerRequest, { type: 'start-training' }>): Promise<WorkerMessage> {
  try {
    const run = await startTraining(
      state,
      await engineOf(state),
      { options, data, continueSession, autosave },
      (metrics) => state.post({ id, type: 'training-step', metrics }),
      (step) => state.post({ id, type: 'autosave-due', step }),
    );
    return { id, type: run.outcome === 'done' ? 'training-done' : 'training-stopped', stepsDone: run.stepsDone, deltaNorms: run.deltaNorms };
  } catch (error) {
    const detail = toWorkerError(error);
    return { id, type: 'training-failed', error: detail.kind === 'non-finite-loss' ? { ...detail, restorable: restorableWeights(state) } : detail };
  }
}

async function loadModelRequest(state: WorkerState, { id, source, frozenDType }: Extract<WorkerRequest, { type: 'load-model' }>) {
  // The run's optimizer state and gradients belong to the model on the GPU.
  const running = runInProgress(state);
  if (running) throw new InputError(`${running}; stop it before loading another model.`);
  const controller = new AbortController();
  state.cancellable.set(id, controller);
  try {
    return await loadModelFrom(state, await engineOf(state), {
      source,
      frozenDType,
      signal: controller.signal,
      onProgress: (progress) => state.post({ id, type: 'progress', progress }),
      onReleased: (label) => {
        discardSession(state);
        tellReleased(state, label);
      },
    });
  } finally {
    state.cancellable.delete(id);
  }
}

