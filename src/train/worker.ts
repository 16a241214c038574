/// <reference lib="webworker" />
/**
 * The trainer worker: owns the GPU device so that no GPU work or readback ever blocks the page.
 */
import { Engine } from '../engine/engine';
import { GpuDeviceLostError, WebGpuUnavailableError } from '../engine/errors';
import { runSelfCheck } from '../engine/self-check';
import type { GpuInfo, WorkerError, WorkerMessage, WorkerRequest } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

let engine: Promise<Engine> | null = null;

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
  const e = await getEngine();
  switch (request.type) {
    case 'probe':
      return { id: request.id, type: 'probe', gpu: gpuInfo(e) };
    case 'self-check':
      return { id: request.id, type: 'self-check', results: await runSelfCheck(e) };
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  handle(request).then(post, (error: unknown) => post({ id: request.id, type: 'error', error: toWorkerError(error) }));
};
