/**
 * Everything the trainer worker keeps between messages, in one object that every handler receives:
 * the engine, the model on the GPU, the training session and its run, the base attention weights,
 * the checkpoint store. Nothing is kept at module level, so a test (in Node, on Dawn) makes a state
 * of its own and calls the handlers as the worker does, and two states never share a model.
 */
import { Engine } from '../engine/engine';
import type { ModelCache } from '../model/hub';
import type { WorkerMessage } from '../train/protocol';
import type { BaseAttention } from './attention-host';
import type { CheckpointStore } from './checkpoint-store';
import type { HostedModel } from './model-host';
import type { RunControl } from './run-control';
import { SerialQueue } from './serial';
import type { TrainingSession, WeightsHistory } from './training-host';

export type OnnxRuntime = typeof import('onnxruntime-web');

/** What the state is made from: the platform's parts, which the browser worker and a Node test supply differently. */
export interface WorkerPlatform {
  /** navigator.gpu in the browser, Dawn in Node. */
  readonly gpu: GPU | undefined;
  /** Sends a message to the page that is no reply: progress, training steps, a lost device. */
  readonly post: (message: WorkerMessage) => void;
  /** Where checkpoints and autosaves are kept; asked once, on first use. */
  readonly checkpoints: () => Promise<CheckpointStore>;
  /** onnxruntime-web, set up for this platform; asked once, on first use. */
  readonly onnxRuntime: () => Promise<OnnxRuntime>;
}

export interface WorkerState {
  readonly gpu: GPU | undefined;
  readonly post: (message: WorkerMessage) => void;
  /** Made on first use; null again after the device is lost, so the next request makes a new one. */
  engine: Promise<Engine> | null;
  /** Requests that a `cancel` can stop, by id. */
  readonly cancellable: Map<number, AbortController>;
  /** The one GPU queue: training steps, evaluation, attention maps, export and checkpoints (serial.ts). */
  readonly gpuWork: SerialQueue;
  /** The one model on the GPU and the folder it came from. */
  model: HostedModel | null;
  /** One load at a time: two uploads at once would hold both models on the GPU. */
  loadQueue: Promise<unknown>;
  /** Browser caches of downloaded models, by cache name (one per Hub endpoint). */
  readonly modelCaches: Map<string, ModelCache>;
  /** The training session on the loaded model; it outlives its run. */
  session: TrainingSession | null;
  /** How each model's trained weights came to be what they are (restore-weights, ΔW norms). */
  readonly histories: WeakMap<HostedModel, WeightsHistory>;
  /** The run in progress; null between runs. */
  control: RunControl | null;
  /** GPU copies of W_Q/W_K as loaded, for the explorer's base view; null until something changes them. */
  baseAttention: BaseAttention | null;
  readonly checkpoints: () => Promise<CheckpointStore>;
  readonly onnxRuntime: () => Promise<OnnxRuntime>;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | null = null;
  return () => (made ??= make());
}

export function createWorkerState(platform: WorkerPlatform): WorkerState {
  return {
    gpu: platform.gpu,
    post: platform.post,
    engine: null,
    cancellable: new Map(),
    gpuWork: new SerialQueue(),
    model: null,
    loadQueue: Promise.resolve(),
    modelCaches: new Map(),
    session: null,
    histories: new WeakMap(),
    control: null,
    baseAttention: null,
    checkpoints: once(platform.checkpoints),
    onnxRuntime: once(platform.onnxRuntime),
  };
}

/** The state's engine, made on first use; a lost device is told to the page and the next call makes a new one. */
export function engineOf(state: WorkerState): Promise<Engine> {
  state.engine ??= Engine.create(state.gpu, {
    onDeviceLost: (error) => {
      state.engine = null;
      state.post({ id: null, type: 'device-lost', message: error.message });
    },
  }).catch((error: unknown) => {
    state.engine = null;
    throw error;
  });
  return state.engine;
}
