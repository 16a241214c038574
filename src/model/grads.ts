/**
 * Gradient tensors of the trainable weights, named like the weights they belong to
 * (`weights.layers[layer][which]`). ABFT trains W_Q and W_K (with their biases where the model has
 * them); the end-to-end baseline may train every attention projection; pretraining ('all') trains
 * every weight of the model: embeddings, norms, projections and the LM head. Allocated once as
 * persistent zeros and summed into by every micro-batch's backward until `zeroGrads`, so a training
 * step allocates nothing for them.
 */
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import type { LayerWeights, LinearWeights, ModelSpec, ModelWeights, NormWeights } from './spec';

export type Projection = 'q' | 'k' | 'v' | 'o';
export type MlpProjection = 'gate' | 'up' | 'down';
/** The projections of a layer (keys of LayerWeights holding a LinearWeights). */
export type LinearPart = Projection | MlpProjection;
/** The norms of a layer (keys of LayerWeights holding a NormWeights). */
export type NormPart = 'attentionNorm' | 'qNorm' | 'kNorm' | 'mlpNorm' | 'postAttentionNorm' | 'postMlpNorm';

/**
 * 'qk': ABFT's W_Q, W_K (spec §4). 'attention': q, k, v and o, for the end-to-end baseline.
 * 'all': every weight of the model, for pretraining (the backward then runs down to the embeddings).
 */
export type TrainableSet = 'qk' | 'attention' | 'all';

const LINEAR_PARTS: readonly LinearPart[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];
const NORM_PARTS: readonly NormPart[] = ['attentionNorm', 'qNorm', 'kNorm', 'mlpNorm', 'postAttentionNorm', 'postMlpNorm'];

export const TRAINED_PROJECTIONS: Readonly<Record<TrainableSet, readonly LinearPart[]>> = {
  qk: ['q', 'k'],
  attention: ['q', 'k', 'v', 'o'],
  all: LINEAR_PARTS,
};

export interface LinearGrad {
  readonly layer: number;
  readonly which: LinearPart;
  /** Same shape as the weight, [in, out]. */
  readonly weight: Tensor;
  /** [out] where the projection has a bias. */
  readonly bias: Tensor | null;
}

export interface NormGrad {
  /** Same shape as the norm's weight ([hidden], or [head_dim] for QK-norm). */
  readonly weight: Tensor;
  /** LayerNorm only. */
  readonly bias: Tensor | null;
}

/** One layer's gradients; a part outside the set (or absent from the model) is absent. */
export type LayerGrads = Readonly<Partial<Record<LinearPart, LinearGrad>> & Partial<Record<NormPart, NormGrad>>>;

/** The gradients of the weights outside the layers, with the set 'all' only. */
export interface ModelGrads {
  /** One per vocabulary chunk of `weights.tokenEmbedding`, same shapes. */
  readonly tokenEmbedding: readonly Tensor[];
  /** GPT-2's learned positions; null elsewhere. */
  readonly positionEmbedding: Tensor | null;
  readonly finalNorm: NormGrad;
  /** One per chunk of an untied LM head; null when tied, its gradient then sums into `tokenEmbedding`. */
  readonly lmHead: readonly Tensor[] | null;
}

/** A trained weight tensor and its gradient, named as `layers.0.q.weight`, `tokenEmbedding.0`, ... */
export interface ParamGrad {
  readonly name: string;
  readonly param: Tensor;
  readonly grad: Tensor;
}

export interface TrainableGrads {
  readonly set: TrainableSet;
  /** Every projection's gradient, layer by layer in the order of TRAINED_PROJECTIONS. */
  readonly entries: readonly LinearGrad[];
  /** The same gradients by layer and part (the norms too with 'all'); a part outside the set is absent. */
  readonly layers: readonly LayerGrads[];
  /** With 'all': embeddings, final norm and LM head; null otherwise. */
  readonly model: ModelGrads | null;
  /** Every trained tensor with its gradient, each once (a tied head is the embedding): what an optimizer steps. */
  readonly params: readonly ParamGrad[];
}

export function createTrainableGrads(e: Engine, spec: ModelSpec, weights: ModelWeights, set: TrainableSet = 'qk'): TrainableGrads {
  if (weights.layers.length !== spec.numLayers) throw new Error(`createTrainableGrads: ${weights.layers.length} layers of weights for a ${spec.numLayers}-layer spec`);
  if (!(set in TRAINED_PROJECTIONS)) throw new Error(`createTrainableGrads: set '${String(set)}', expected 'qk', 'attention' or 'all'`);
  // Every trained tensor in the order its gradient is allocated (and `params` lists it).
  const trained: { name: string; param: Tensor }[] = [];
  const add = (name: string, param: Tensor) => {
    // An f16 weight cannot take an optimizer step; load the model with frozenDType 'f32' to train it.
    if (param.dtype !== 'f32') throw new Error(`createTrainableGrads: ${name} is ${param.dtype}; trainable weights must be f32 (load with frozenDType 'f32')`);
    trained.push({ name, param });
  };
  const addPart = (name: string, w: LinearWeights | NormWeights) => {
    add(`${name}.weight`, w.weight);
    if (w.bias) add(`${name}.bias`, w.bias);
  };
  const all = set === 'all';
  if (all) {
    weights.tokenEmbedding.chunks.forEach((c, i) => add(`tokenEmbedding.${i}`, c));
    if (weights.positionEmbedding) add('positionEmbedding', weights.positionEmbedding);
  }
  weights.layers.forEach((layer, l) => {
    if (all) for (const part of NORM_PARTS) if (layer[part]) addPart(`layers.${l}.${part}`, layer[part]!);
    for (const which of TRAINED_PROJECTIONS[set]) if (layer[which]) addPart(`layers.${l}.${which}`, layer[which]!);
  });
  const tied = weights.lmHead === weights.tokenEmbedding;
  if (all) {
    addPart('finalNorm', weights.finalNorm);
    if (!tied) weights.lmHead.chunks.forEach((c, i) => add(`lmHead.${i}`, c));
  }
  // All gradients packed into shared buffers (Engine.zerosGroup), in `trained` order: the gradient
  // norm and the optimizer step then run once per buffer instead of once per tensor.
  const packed = e.zerosGroup(trained.map((t) => t.param.shape));
  const gradOf = new Map(trained.map((t, i) => [t.param, packed[i]]));
  const grad = (t: Tensor) => gradOf.get(t)!;
  const partGrad = (w: LinearWeights | NormWeights) => ({ weight: grad(w.weight), bias: w.bias ? grad(w.bias) : null });

  const entries: LinearGrad[] = [];
  const layers = weights.layers.map((layer: LayerWeights, l) => {
    const byName: Record<string, LinearGrad | NormGrad> = {};
    if (all) for (const part of NORM_PARTS) if (layer[part]) byName[part] = partGrad(layer[part]!);
    for (const which of TRAINED_PROJECTIONS[set]) {
      const w = layer[which];
      if (!w) continue;
      const g: LinearGrad = { layer: l, which, ...partGrad(w) };
      byName[which] = g;
      entries.push(g);
    }
    return byName as LayerGrads;
  });
  const model: ModelGrads | null = all
    ? {
        tokenEmbedding: weights.tokenEmbedding.chunks.map(grad),
        positionEmbedding: weights.positionEmbedding ? grad(weights.positionEmbedding) : null,
        finalNorm: partGrad(weights.finalNorm),
        lmHead: tied ? null : weights.lmHead.chunks.map(grad),
      }
    : null;
  return { set, entries, layers, model, params: trained.map((t, i) => ({ ...t, grad: packed[i] })) };
}

/** The weights a gradient belongs to. */
export function paramOf(weights: ModelWeights, grad: LinearGrad): LinearWeights {
  return weights.layers[grad.layer][grad.which]!;
}

/** Sets every gradient to zero, in order with the launches recorded before and after (start of a pseudo-batch). */
export function zeroGrads(e: Engine, grads: TrainableGrads): void {
  for (const g of grads.params) e.clear(g.grad);
}

export function releaseGrads(grads: TrainableGrads): void {
  for (const g of grads.params) g.grad.release();
}
