/// <reference lib="webworker" />
/**
 * The trainer worker: owns the GPU device so that no GPU work or readback ever blocks the page.
 */
import { InputError } from '../data/dataset';
import { Engine } from '../engine/engine';
import { GpuDeviceLostError, WebGpuUnavailableError } from '../engine/errors';
import { runSelfCheck } from '../engine/self-check';
import { attentionMaps } from './attention-host';
import { CheckpointMismatchError } from '../train/checkpoint';
import { checkCheckpointName, checkpointStore } from './checkpoint-store';
import { evaluateSet } from './evaluation-host';
import { cachedModels, deleteCachedModel, loadModelFrom } from './model-host';
import { exportOnnxZip, verifyOnnx } from './onnx-host';
import { previewPrompt } from './preview-host';
import type { GpuInfo, WorkerError, WorkerMessage, WorkerRequest } from '../train/protocol';
import { NonFiniteLossError } from '../train/trainer';
import {
  answerAutosave,
  discardAutosave,
  discardSession,
  exportWeights,
  pauseTraining,
  restorableWeights,
  restoreAutosave,
  restoreSession,
  restoreWeights,
  resumeTraining,
  saveSession,
  startTraining,
  stopTraining,
  trainingActive,
} from './training-host';

declare const self: DedicatedWorkerGlobalScope;

let engine: Promise<Engine> | null = null;
/** Requests that a `cancel` can stop, by id. */
const cancellable = new Map<number, AbortController>();

/** Large replies hand their buffers over instead of copying them. */
function transferablesOf(message: WorkerMessage): Transferable[] {
  if (message.type === 'attention') return message.attention.probabilities.map((p) => p.buffer as ArrayBuffer);
  if (message.type === 'export-weights') return [message.bytes.buffer];
  return [];
}

function post(message: WorkerMessage): void {
  self.postMessage(message, transferablesOf(message));
}

function getEngine(): Promise<Engine> {
  engine ??= Engine.create(self.navigator.gpu, {
    onDeviceLost: (error) => {
      engine = null;
      post({ id: null, type: 'device-lost', message: error.message });
    },
  }).catch((error: unknown) => {
    engine = null;
    throw error;
  });
  return engine;
}

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

function toWorkerError(error: unknown): WorkerError {
  if (error instanceof WebGpuUnavailableError) return { kind: 'webgpu-unavailable', message: error.message };
  if (error instanceof GpuDeviceLostError) return { kind: 'device-lost', message: error.message };
  if (error instanceof DOMException && DEVICE_LOST_DOM_ERROR.test(error.message)) return { kind: 'device-lost', message: new GpuDeviceLostError('lost during a GPU readback', error.message).message };
  if (error instanceof InputError || error instanceof CheckpointMismatchError) return { kind: 'input', message: error.message };
  if (error instanceof NonFiniteLossError) return { kind: 'non-finite-loss', message: error.message };
  return { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
}

async function handle(request: WorkerRequest): Promise<WorkerMessage> {
  switch (request.type) {
    case 'probe':
      return { id: request.id, type: 'probe', gpu: gpuInfo(await getEngine()) };
    case 'self-check':
      return { id: request.id, type: 'self-check', results: await runSelfCheck(await getEngine()) };
    case 'load-model':
      return { id: request.id, type: 'load-model', model: await loadModelRequest(request) };
    case 'cached-models':
      return { id: request.id, type: 'cached-models', models: await cachedModels() };
    case 'delete-cached-model':
      return { id: request.id, type: 'delete-cached-model', models: await deleteCachedModel(request.repo, request.revision, request.endpoint) };
    case 'cancel':
      cancellable.get(request.target)?.abort();
      return { id: request.id, type: 'cancel' };
    case 'start-training':
      return trainRequest(request);
    case 'pause':
      await pauseTraining();
      return { id: request.id, type: 'pause' };
    case 'resume':
      resumeTraining();
      return { id: request.id, type: 'resume' };
    case 'stop':
      stopTraining();
      return { id: request.id, type: 'stop' };
    case 'evaluate':
      return { id: request.id, type: 'evaluate', result: await evaluateSet(await getEngine(), request.set, request.microBatch) };
    case 'attention':
      return { id: request.id, type: 'attention', attention: await attentionMaps(await getEngine(), request) };
    case 'export-weights':
      return { id: request.id, type: 'export-weights', bytes: await exportWeights(await getEngine()) };
    case 'export-onnx':
      return { id: request.id, type: 'export-onnx', result: await exportOnnxZip(await getEngine()) };
    case 'verify-onnx':
      return { id: request.id, type: 'verify-onnx', verification: await verifyOnnx(await getEngine(), request.set, request.maxPrompts) };
    case 'save-checkpoint': {
      checkCheckpointName(request.name);
      const store = await checkpointStore();
      await store.save(request.name, await saveSession(await getEngine()));
      return { id: request.id, type: 'save-checkpoint', checkpoints: await store.list() };
    }
    case 'restore-checkpoint': {
      checkCheckpointName(request.name);
      const bytes = await (await checkpointStore()).load(request.name);
      const info = await restoreSession(await getEngine(), bytes, request.data, `checkpoint ${request.name}`);
      return { id: request.id, type: 'restore-checkpoint', stepsDone: info.stepsDone, options: info.options };
    }
    case 'list-checkpoints':
      return { id: request.id, type: 'list-checkpoints', checkpoints: await (await checkpointStore()).list() };
    case 'preview-prompt':
      return { id: request.id, type: 'preview-prompt', preview: previewPrompt(request.input) };
    case 'autosave':
      return { id: request.id, type: 'autosave', step: request.step, saved: await answerAutosave(request.step, request.write) };
    case 'restore-autosave': {
      const info = await restoreAutosave(await getEngine(), request.runId, request.data);
      return { id: request.id, type: 'restore-autosave', stepsDone: info.stepsDone, options: info.options };
    }
    case 'discard-autosave':
      await discardAutosave(request.runId);
      return { id: request.id, type: 'discard-autosave' };
    case 'restore-weights': {
      const { restored, deltaNorms } = await restoreWeights(await getEngine(), request.which);
      return { id: request.id, type: 'restore-weights', which: request.which, restored, deltaNorms };
    }
  }
}

/**
 * A run's failure, input errors included, is its final message; the weights of the last good step
 * stay, and a non-finite loss says which weights can be restored.
 */
async function trainRequest({ id, options, data, continueSession, autosave }: Extract<WorkerRequest, { type: 'start-training' }>): Promise<WorkerMessage> {
  try {
    const run = await startTraining(
      await getEngine(),
      { options, data, continueSession, autosave },
      (metrics) => post({ id, type: 'training-step', metrics }),
      (step) => post({ id, type: 'autosave-due', step }),
    );
    return { id, type: run.outcome === 'done' ? 'training-done' : 'training-stopped', stepsDone: run.stepsDone, deltaNorms: run.deltaNorms };
  } catch (error) {
    const detail = toWorkerError(error);
    return { id, type: 'training-failed', error: detail.kind === 'non-finite-loss' ? { ...detail, restorable: restorableWeights() } : detail };
  }
}

async function loadModelRequest({ id, source, frozenDType }: Extract<WorkerRequest, { type: 'load-model' }>) {
  // The run's optimizer state and gradients belong to the model on the GPU.
  if (trainingActive()) throw new InputError('Training is running on the loaded model; stop it before loading another model.');
  const controller = new AbortController();
  cancellable.set(id, controller);
  try {
    return await loadModelFrom(await getEngine(), {
      source,
      frozenDType,
      signal: controller.signal,
      onProgress: (progress) => post({ id, type: 'progress', progress }),
      onReleased: (label) => {
        discardSession();
        post({ id: null, type: 'model-released', label });
      },
    });
  } finally {
    cancellable.delete(id);
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  handle(request).then(post, (error: unknown) => post({ id: request.id, type: 'error', error: toWorkerError(error) }));
};
