/**
 * The one typed protocol between the UI thread and the trainer worker, which owns the GPU device.
 * Every request carries an id that its reply repeats.
 */
import type { AdapterDescription, GpuFeatures } from '../engine/device';
import type { SelfCheckResult } from '../engine/self-check';

export interface GpuInfo {
  readonly adapter: AdapterDescription;
  readonly adapterName: string;
  readonly features: GpuFeatures;
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
}

export type WorkerRequest = { readonly id: number; readonly type: 'probe' } | { readonly id: number; readonly type: 'self-check' };

export type WorkerReply =
  | { readonly id: number; readonly type: 'probe'; readonly gpu: GpuInfo }
  | { readonly id: number; readonly type: 'self-check'; readonly results: SelfCheckResult[] }
  | { readonly id: number; readonly type: 'error'; readonly error: WorkerError };

/** Unsolicited messages the worker sends when something happens outside any request. */
export type WorkerEvent = { readonly id: null; readonly type: 'device-lost'; readonly message: string };

export interface WorkerError {
  readonly kind: 'webgpu-unavailable' | 'device-lost' | 'failed';
  readonly message: string;
}

export type WorkerMessage = WorkerReply | WorkerEvent;
