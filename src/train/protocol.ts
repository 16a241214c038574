/**
 * The one typed protocol between the UI thread and the trainer worker, which owns the GPU device.
 * Every request carries an id that its reply repeats; a long request may first send progress
 * messages with the same id.
 */
import type { AdapterDescription, GpuFeatures } from '../engine/device';
import type { SelfCheckResult } from '../engine/self-check';
import type { FrozenDType } from '../model/memory';

export interface GpuInfo {
  readonly adapter: AdapterDescription;
  readonly adapterName: string;
  readonly features: GpuFeatures;
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
}

/** Where a model's files come from. File objects are handles: posting them copies no bytes. */
export type ModelSource =
  | { readonly kind: 'hub'; readonly repo: string; readonly revision: string; readonly endpoint?: string; readonly token?: string }
  | { readonly kind: 'files'; readonly label: string; readonly files: readonly { readonly path: string; readonly file: File }[] };

/** What the UI shows of the model the worker holds on the GPU. */
export interface ModelSummary {
  readonly label: string;
  readonly hfArchitecture: string;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly hidden: number;
  readonly vocab: number;
  readonly parameters: number;
  readonly gpuBytes: number;
  /** The dtype the frozen weights got, which is f32 when f16 was asked for but the GPU lacks shader-f16. */
  readonly frozenDType: FrozenDType;
  readonly warnings: readonly string[];
  readonly tokenizer: boolean;
}

/** A repo@revision in the browser's model cache. */
export interface CachedModel {
  readonly repo: string;
  readonly revision: string;
  readonly bytes: number;
}

/** Bytes of the whole model: downloaded from the Hub (files already cached count as done), then copied to the GPU. */
export type LoadProgress =
  | { readonly stage: 'download'; readonly file: string; readonly bytes: number; readonly total: number | null }
  | { readonly stage: 'upload'; readonly bytes: number; readonly total: number };

export type WorkerRequest =
  | { readonly id: number; readonly type: 'probe' }
  | { readonly id: number; readonly type: 'self-check' }
  | { readonly id: number; readonly type: 'load-model'; readonly source: ModelSource; readonly frozenDType?: FrozenDType }
  | { readonly id: number; readonly type: 'cached-models' }
  | { readonly id: number; readonly type: 'delete-cached-model'; readonly repo: string; readonly revision: string }
  /** Stops the download of request `target`; that request then fails with a message that says so. */
  | { readonly id: number; readonly type: 'cancel'; readonly target: number };

export type WorkerReply =
  | { readonly id: number; readonly type: 'probe'; readonly gpu: GpuInfo }
  | { readonly id: number; readonly type: 'self-check'; readonly results: SelfCheckResult[] }
  | { readonly id: number; readonly type: 'load-model'; readonly model: ModelSummary }
  | { readonly id: number; readonly type: 'cached-models'; readonly models: CachedModel[] }
  | { readonly id: number; readonly type: 'delete-cached-model'; readonly models: CachedModel[] }
  | { readonly id: number; readonly type: 'cancel' }
  | { readonly id: number; readonly type: 'error'; readonly error: WorkerError };

/** Sent before the reply of the request with this id; never ends the request. */
export type WorkerProgress = { readonly id: number; readonly type: 'progress'; readonly progress: LoadProgress };

/** Unsolicited messages the worker sends when something happens outside any request. */
export type WorkerEvent =
  | { readonly id: null; readonly type: 'device-lost'; readonly message: string }
  /** The model on the GPU was released to make room for another, whose load may still fail. */
  | { readonly id: null; readonly type: 'model-released'; readonly label: string };

export interface WorkerError {
  readonly kind: 'webgpu-unavailable' | 'device-lost' | 'failed';
  readonly message: string;
}

export type WorkerMessage = WorkerReply | WorkerProgress | WorkerEvent;
