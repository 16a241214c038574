/**
 * GPU memory a model's weights take, worked out from config.json alone, so that a model that
 * cannot fit is refused before hundreds of megabytes are downloaded or read. WebGPU cannot say how
 * much memory a GPU has, but it does cap the size of one buffer, and every weight tensor is one buffer.
 */
import { formatBytes } from '../engine/pool';
import { architectureModule } from './arch';
import { engineShape, PART_LABELS, type LinearTensors, type NormTensors } from './arch/types';
import type { TrainableSet } from './grads';
import type { LayerWeights, ModelSpec } from './spec';

/** Storage of the frozen Linear weights (v, o, MLP); q, k, biases, norms and embeddings are always f32. */
export type FrozenDType = 'f32' | 'f16';

/**
 * The storage to load a model with for training `set`: f16 only where every weight it trains stays
 * f32 anyway (ABFT's W_Q, W_K); training v and o, or every weight (pretraining), needs f32 master
 * weights for all of them, so every weight is loaded f32 then, whatever the adapter offers.
 */
export function frozenDTypeFor(set: TrainableSet, preferred: FrozenDType): FrozenDType {
  return set === 'qk' ? preferred : 'f32';
}

export type BufferLimits = Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>;

/** One kind of weight tensor: `count` tensors of this shape (one per layer, or one for the model). */
export interface WeightTensorPlan {
  readonly what: string;
  readonly shape: readonly number[];
  readonly dtype: 'f32' | 'f16';
  readonly count: number;
  /** Bytes of one tensor on the GPU (the engine rounds buffers up to 4 bytes). */
  readonly bytes: number;
  /** The token embedding and LM head: stored as vocabulary chunks that each fit one buffer (vocabulary-table.ts). */
  readonly splitByVocabulary?: boolean;
  /** W_Q, W_K and their biases: what ABFT trains (a gradient and two Adam moments each). */
  readonly trained?: boolean;
}

/** The tensors loadWeights creates for this spec, from the architecture's tensor description (arch/). */
export function weightTensors(spec: ModelSpec, frozenDType: FrozenDType): WeightTensorPlan[] {
  const tensors = architectureModule(spec.architecture).tensors(spec);
  const H = spec.hiddenSize;
  const plans: WeightTensorPlan[] = [];
  const add = (what: string, shape: readonly number[], dtype: 'f32' | 'f16', count = 1, flags: Pick<WeightTensorPlan, 'splitByVocabulary' | 'trained'> = {}) => {
    const elements = shape.reduce((p, d) => p * d, 1);
    plans.push({ what, shape, dtype, count, bytes: Math.ceil((elements * (dtype === 'f16' ? 2 : 4)) / 4) * 4, ...flags });
  };
  const norm = (what: string, n: NormTensors, count: number) => {
    // [hidden], or [head_dim] for QK-norm.
    const shape = n.weight.dims.map((d) => d.n);
    add(`${what} weight`, shape, 'f32', count);
    if (n.bias) add(`${what} bias`, shape, 'f32', count);
  };
  const vocabulary = [spec.vocabSize, H];
  add('the token embedding', vocabulary, 'f32', 1, { splitByVocabulary: true });
  if (tensors.positionEmbedding) add('the position embedding', tensors.positionEmbedding.dims.map((d) => d.n), 'f32');
  // Every layer has the same tensors; the first stands for all.
  const L = spec.numLayers;
  for (const [key, part] of Object.entries(tensors.layers[0]) as [keyof LayerWeights, LinearTensors | NormTensors | null][]) {
    if (!part) continue;
    const what = `each layer's ${PART_LABELS[key]}`;
    if (part.kind === 'norm') {
      norm(what, part, L);
      continue;
    }
    const shape = engineShape(part);
    const flags = part.trained ? { trained: true } : {};
    add(what, shape.weight, part.trained ? 'f32' : frozenDType, L, flags);
    if (part.bias) add(`${what} bias`, shape.bias, 'f32', L, flags);
  }
  norm('the final norm', tensors.finalNorm, 1);
  if (!spec.tieWordEmbeddings) add('the LM head', vocabulary, 'f32', 1, { splitByVocabulary: true });
  return plans;
}

export function estimateWeightBytes(spec: ModelSpec, frozenDType: FrozenDType): number {
  return weightTensors(spec, frozenDType).reduce((sum, t) => sum + t.count * t.bytes, 0);
}

/** Parameters of the model, a tied LM head counted once. */
export function countParameters(spec: ModelSpec): number {
  return weightTensors(spec, 'f32').reduce((sum, t) => sum + (t.count * t.bytes) / 4, 0);
}

/** Parameters ABFT trains: W_Q, W_K and their biases in every layer. */
export function trainableQkParameters(spec: ModelSpec): number {
  return weightTensors(spec, 'f32')
    .filter((t) => t.trained)
    .reduce((sum, t) => sum + t.count * t.shape.reduce((p, d) => p * d, 1), 0);
}

/** "134.5M parameters, 513.0 MiB of weights on the GPU" */
export function formatModelSize(spec: ModelSpec, frozenDType: FrozenDType): string {
  const n = countParameters(spec);
  const count = n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : `${(n / 1e6).toFixed(1)}M`;
  return `${count} parameters, ${formatBytes(estimateWeightBytes(spec, frozenDType))} of weights on the GPU`;
}

/** The largest tensor the engine allocates on this adapter: it binds whole tensors, so the smaller limit counts (rounded as the buffer pool does). */
export function maxTensorBytes(limits: BufferLimits): number {
  return Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / 256) * 256;
}

export type BufferLimitName = 'maxStorageBufferBindingSize' | 'maxBufferSize';

/** How a model's weights meet this adapter's one-buffer limit (the total cannot be checked: WebGPU does not expose it). */
export interface AdapterFit {
  readonly totalBytes: number;
  /** The largest tensor stored whole (the embedding and LM head are split into vocabulary chunks, so only one of their rows has to fit). */
  readonly largest: WeightTensorPlan;
  /** The most one tensor may take: the smaller of the two limits, since the engine binds whole tensors. */
  readonly maxBytes: number;
  readonly limitName: BufferLimitName;
  /** Null when it fits; otherwise why not, naming the tensor, its size and the limit, and what to do. */
  readonly problem: string | null;
}

export function adapterFit(spec: ModelSpec, limits: BufferLimits, frozenDType: FrozenDType): AdapterFit {
  const largest = weightTensors(spec, frozenDType)
    .filter((p) => !p.splitByVocabulary)
    .reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const totalBytes = estimateWeightBytes(spec, frozenDType);
  const limitName: BufferLimitName = limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  const maxBytes = maxTensorBytes(limits);
  const problem =
    largest.bytes > maxBytes
      ? `${spec.hfArchitecture}: ${largest.what} [${largest.shape.join(', ')}] needs ${formatBytes(largest.bytes)} in one buffer; ` +
        `this GPU allows at most ${formatBytes(maxBytes)} per buffer (${limitName}). ` +
        `All the weights need ${formatBytes(totalBytes)}. Pick a smaller model, or a GPU and browser that allow larger buffers.`
      : null;
  return { totalBytes, largest, maxBytes, limitName, problem };
}

/** Throws adapterFit's problem, if any; returns the total bytes and the largest tensor that is stored whole. */
export function checkFitsAdapter(spec: ModelSpec, limits: BufferLimits, frozenDType: FrozenDType): { totalBytes: number; largest: WeightTensorPlan } {
  const { totalBytes, largest, problem } = adapterFit(spec, limits, frozenDType);
  if (problem) throw new Error(problem);
  return { totalBytes, largest };
}
