/// <reference lib="webworker" />
/**
 * The trainer worker: owns the GPU device so that no GPU work or readback ever blocks the page.
 * Its one state (state.ts) is made here from the browser's parts; handle.ts answers each message.
 */
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import type { WorkerMessage, WorkerRequest } from '../train/protocol';
import { browserCheckpointStore } from './checkpoint-store';
import { handle, toWorkerError } from './handle';
import { createWorkerState } from './state';

declare const self: DedicatedWorkerGlobalScope;

/** Large replies hand their buffers over instead of copying them. */
function transferablesOf(message: WorkerMessage): Transferable[] {
  if (message.type === 'attention') return message.attention.probabilities.map((p) => p.buffer as ArrayBuffer);
  if (message.type === 'export-weights') return [message.bytes.buffer];
  return [];
}

function post(message: WorkerMessage): void {
  self.postMessage(message, transferablesOf(message));
}

/** onnxruntime-web, loaded on first use, with its wasm from this app's own assets (never a CDN). */
async function onnxRuntime(): Promise<typeof import('onnxruntime-web')> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.wasmPaths = { wasm: wasmUrl };
  // Threads need a cross-origin isolated page; the app is served without it.
  ort.env.wasm.numThreads = 1;
  return ort;
}

const state = createWorkerState({ gpu: self.navigator.gpu, post, checkpoints: browserCheckpointStore, onnxRuntime });

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  handle(state, request).then(post, (error: unknown) => post({ id: request.id, type: 'error', error: toWorkerError(error) }));
};
