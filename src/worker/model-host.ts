/**
 * The worker's one model on the GPU: loads it from the Hub (through the browser's model cache) or
 * from files the user picked, and releases the previous model's buffers before the next upload.
 */
import { InputError } from '../data/dataset';
import type { Engine } from '../engine/engine';
import type { ModelFolder } from '../model/files';
import { blobFolder } from '../model/files-browser';
import { browserCacheNames, browserModelCache, DEFAULT_HUB_ENDPOINT, downloadModel, type ModelCache } from '../model/hub';
import { loadModel, readModelSpec, releaseModel, type LoadedModel } from '../model/load';
import { checkFitsAdapter, type FrozenDType } from '../model/memory';
import type { WorkerState } from './state';
import type { CachedModel, LoadProgress, ModelSource, ModelSummary } from '../train/protocol';

const CACHE_NAME = 'abft-studio-models';
// Progress for a large file arrives per network chunk; the UI needs a few updates a second, not thousands.
const PROGRESS_INTERVAL_MS = 100;

export interface LoadRequest {
  readonly source: ModelSource;
  readonly frozenDType?: FrozenDType;
  readonly signal: AbortSignal;
  readonly onProgress: (progress: LoadProgress) => void;
  /** Called once the previous model's buffers are given back. */
  readonly onReleased: (label: string) => void;
}

/** The model on the GPU and the folder it came from, whose checkpoint export copies the frozen tensors from. */
export interface HostedModel {
  readonly model: LoadedModel;
  readonly folder: ModelFolder;
}


/**
 * Files from an endpoint other than the official Hub are kept in a cache of their own, so that a
 * mirror's copy of a repo@revision (or one a crafted `?hub=` link served) never loads in place of the Hub's.
 */
function cacheName(endpoint: string | undefined): string {
  return endpoint === undefined || endpoint === DEFAULT_HUB_ENDPOINT ? CACHE_NAME : `${CACHE_NAME} ${endpoint}`;
}

function modelCache(state: WorkerState, endpoint: string | undefined): ModelCache {
  const name = cacheName(endpoint);
  let cache = state.modelCaches.get(name);
  if (!cache) state.modelCaches.set(name, (cache = browserModelCache(name)));
  return cache;
}

export function loadModelFrom(state: WorkerState, e: Engine, request: LoadRequest): Promise<ModelSummary> {
  return afterLoads(state, () => load(state, e, request));
}

/** Runs `job`, which puts a model on the GPU, after the loads queued before it: two uploads at once would hold both models there. */
export function afterLoads<T>(state: WorkerState, job: () => Promise<T>): Promise<T> {
  const next = state.loadQueue.then(job);
  state.loadQueue = next.catch(() => {});
  return next;
}

async function load(state: WorkerState, e: Engine, { source, frozenDType, signal, onProgress, onReleased }: LoadRequest): Promise<ModelSummary> {
  const report = throttled(onProgress);
  const folder = await openFolder(state, source, signal, report);
  // A model that cannot be used or cannot fit is refused before the loaded model is given up.
  checkFitsAdapter(await readModelSpec(folder), e.limits, frozenDType ?? 'f32');
  throwIfCancelled(signal, folder.label);
  releaseHostedModel(state, onReleased);
  const model = await loadModel(e, folder, {
    frozenDType,
    requireTokenizer: false,
    onProgress: (bytes, total) => report({ stage: 'upload', bytes, total }, bytes === total),
  });
  if (signal.aborted) {
    releaseModel(model);
    throwIfCancelled(signal, folder.label);
  }
  state.model = { model, folder };
  return modelSummary(model);
}

/** Gives the hosted model's buffers back, before another model takes the GPU; `onReleased` hears its label. */
export function releaseHostedModel(state: WorkerState, onReleased: (label: string) => void): void {
  if (!state.model) return;
  const { label } = state.model.model;
  releaseModel(state.model.model);
  state.model = null;
  onReleased(label);
}

export function requireModel(state: WorkerState): HostedModel {
  if (!state.model) throw new InputError('No model is loaded; load one in the Model panel first.');
  return state.model;
}

function openFolder(state: WorkerState, source: ModelSource, signal: AbortSignal, report: Report): Promise<ModelFolder> | ModelFolder {
  if (source.kind === 'files') return blobFolder(source.label, source.files.map((f) => ({ path: f.path, blob: f.file })));
  return downloadModel(source.repo, {
    revision: source.revision,
    endpoint: source.endpoint,
    token: source.token,
    cache: modelCache(state, source.endpoint),
    signal,
    onProgress: (p) => report({ stage: 'download', file: p.file, bytes: p.overallLoaded, total: p.overallTotal }, p.loaded === p.total),
  });
}

function throwIfCancelled(signal: AbortSignal, label: string): void {
  if (signal.aborted) throw new Error(`loading ${label} was cancelled.`);
}

type Report = (progress: LoadProgress, final: boolean) => void;

/**
 * Passes on the first and last update of each file (or stage) at once, and the others at most every
 * PROGRESS_INTERVAL_MS, the latest one last, so a stalled download still shows where it stopped.
 */
function throttled(onProgress: (progress: LoadProgress) => void): Report {
  let last = 0;
  let lastStep = '';
  let latest: LoadProgress | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const send = (progress: LoadProgress) => {
    clearTimeout(timer);
    timer = undefined;
    latest = null;
    last = performance.now();
    lastStep = progress.stage === 'download' ? progress.file : progress.stage;
    onProgress(progress);
  };
  return (progress, final) => {
    const step = progress.stage === 'download' ? progress.file : progress.stage;
    const wait = last + PROGRESS_INTERVAL_MS - performance.now();
    if (final || step !== lastStep || wait <= 0) return send(progress);
    latest = progress;
    timer ??= setTimeout(() => latest && send(latest), wait);
  };
}

export function modelSummary(model: LoadedModel): ModelSummary {
  const { spec } = model;
  return {
    label: model.label,
    hfArchitecture: spec.hfArchitecture,
    layers: spec.numLayers,
    heads: spec.numHeads,
    kvHeads: spec.numKvHeads,
    hidden: spec.hiddenSize,
    vocab: spec.vocabSize,
    parameters: model.parameters,
    gpuBytes: model.gpuBytes,
    frozenDType: model.weights.layers[0]?.v.weight.dtype === 'f16' ? 'f16' : 'f32',
    warnings: model.warnings,
    tokenizer: model.tokenizer !== null,
  };
}

/** Every repo@revision the caches hold files of, complete or not, with their bytes and endpoint. */
export async function cachedModels(state: WorkerState): Promise<CachedModel[]> {
  const names = new Set([CACHE_NAME, ...(await browserCacheNames(`${CACHE_NAME} `))]);
  const byId = new Map<string, CachedModel>();
  for (const name of names) {
    const endpoint = name === CACHE_NAME ? undefined : name.slice(CACHE_NAME.length + 1);
    for (const { key, size } of await modelCache(state, endpoint).list('')) {
      // Keys are "org/name@revision/file": repo ids hold no "@", a revision may hold "/" (refs/pr/1),
      // and the files downloadModel fetches sit at the top of the repository.
      const at = key.indexOf('@');
      const fileStart = key.lastIndexOf('/');
      if (at < 0 || fileStart < at) continue;
      const id = `${name}\n${key.slice(0, fileStart)}`;
      const entry = byId.get(id) ?? { repo: key.slice(0, at), revision: key.slice(at + 1, fileStart), endpoint, bytes: 0 };
      byId.set(id, { ...entry, bytes: entry.bytes + size });
    }
  }
  return [...byId.values()].sort((a, b) => a.repo.localeCompare(b.repo) || a.revision.localeCompare(b.revision) || (a.endpoint ?? '').localeCompare(b.endpoint ?? ''));
}

export async function deleteCachedModel(state: WorkerState, repo: string, revision: string, endpoint: string | undefined): Promise<CachedModel[]> {
  await modelCache(state, endpoint).delete(`${repo}@${revision}/`);
  return cachedModels(state);
}
