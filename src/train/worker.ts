/// <reference lib="webworker" />
/**
 * The trainer worker: owns the GPU device so that no GPU work or readback ever blocks the page.
 */
import { Engine } from '../engine/engine';
import { GpuDeviceLostError, WebGpuUnavailableError } from '../engine/errors';
import { runSelfCheck } from '../engine/self-check';
import { cachedModels, deleteCachedModel, loadModelFrom } from './model-host';
import type { GpuInfo, WorkerError, WorkerMessage, WorkerRequest } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

let engine: Promise<Engine> | null = null;
/** Requests that a `cancel` can stop, by id. */
const cancellable = new Map<number, AbortController>();

function post(message: WorkerMessage): void {
  self.postMessage(message);
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

function toWorkerError(error: unknown): WorkerError {
  if (error instanceof WebGpuUnavailableError) return { kind: 'webgpu-unavailable', message: error.message };
  if (error instanceof GpuDeviceLostError) return { kind: 'device-lost', message: error.message };
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
      return { id: request.id, type: 'delete-cached-model', models: await deleteCachedModel(request.repo, request.revision) };
    case 'cancel':
      cancellable.get(request.target)?.abort();
      return { id: request.id, type: 'cancel' };
  }
}

async function loadModelRequest({ id, source, frozenDType }: Extract<WorkerRequest, { type: 'load-model' }>) {
  const controller = new AbortController();
  cancellable.set(id, controller);
  try {
    return await loadModelFrom(await getEngine(), {
      source,
      frozenDType,
      signal: controller.signal,
      onProgress: (progress) => post({ id, type: 'progress', progress }),
      onReleased: (label) => post({ id: null, type: 'model-released', label }),
    });
  } finally {
    cancellable.delete(id);
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  handle(request).then(post, (error: unknown) => post({ id: request.id, type: 'error', error: toWorkerError(error) }));
};
