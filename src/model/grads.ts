/**
 * Gradient tensors of the trainable weights, named like the weights they belong to
 * (`weights.layers[layer][which]`). ABFT trains W_Q and W_K (with their biases where the model has
 * them); the end-to-end baseline may train every attention projection. Allocated once as persistent
 * zeros and summed into by every micro-batch's backward until `zeroGrads`, so a training step
 * allocates nothing for them.
 */
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import type { LinearWeights, ModelSpec, ModelWeights } from './spec';

export type Projection = 'q' | 'k' | 'v' | 'o';

/** 'qk': ABFT's W_Q, W_K (spec §4). 'attention': q, k, v and o, for the end-to-end baseline. */
export type TrainableSet = 'qk' | 'attention';

export const TRAINED_PROJECTIONS: Readonly<Record<TrainableSet, readonly Projection[]>> = {
  qk: ['q', 'k'],
  attention: ['q', 'k', 'v', 'o'],
};

export interface LinearGrad {
  readonly layer: number;
  readonly which: Projection;
  /** Same shape as the weight, [in, out]. */
  readonly weight: Tensor;
  /** [out] where the projection has a bias. */
  readonly bias: Tensor | null;
}

export interface TrainableGrads {
  readonly set: TrainableSet;
  /** Every gradient, layer by layer in the order of TRAINED_PROJECTIONS. */
  readonly entries: readonly LinearGrad[];
  /** The same gradients by layer and projection; a projection outside the set is absent. */
  readonly layers: readonly Readonly<Partial<Record<Projection, LinearGrad>>>[];
}

export function createTrainableGrads(e: Engine, spec: ModelSpec, weights: ModelWeights, set: TrainableSet = 'qk'): TrainableGrads {
  if (weights.layers.length !== spec.numLayers) throw new Error(`createTrainableGrads: ${weights.layers.length} layers of weights for a ${spec.numLayers}-layer spec`);
  // All gradients packed into shared buffers (Engine.zerosGroup), weight then bias, in entry order:
  // the gradient norm and the optimizer step then run once per buffer instead of once per tensor.
  const shapes: (readonly number[])[] = [];
  weights.layers.forEach((layer, l) => {
    for (const which of TRAINED_PROJECTIONS[set]) {
      const w = layer[which];
      // An f16 weight cannot take an optimizer step; load the model with frozenDType 'f32' to train v and o.
      if (w.weight.dtype !== 'f32') throw new Error(`createTrainableGrads: layer ${l} ${which}.weight is ${w.weight.dtype}; trainable weights must be f32 (load with frozenDType 'f32')`);
      shapes.push(w.weight.shape);
      if (w.bias) shapes.push(w.bias.shape);
    }
  });
  const packed = e.zerosGroup(shapes);
  let next = 0;
  const entries: LinearGrad[] = [];
  const layers = weights.layers.map((layer, l) => {
    const byName: Partial<Record<Projection, LinearGrad>> = {};
    for (const which of TRAINED_PROJECTIONS[set]) {
      const grad: LinearGrad = { layer: l, which, weight: packed[next++], bias: layer[which].bias ? packed[next++] : null };
      byName[which] = grad;
      entries.push(grad);
    }
    return byName;
  });
  return { set, entries, layers };
}

/** The weights a gradient belongs to. */
export function paramOf(weights: ModelWeights, grad: LinearGrad): LinearWeights {
  return weights.layers[grad.layer][grad.which];
}

/** Sets every gradient to zero, in order with the launches recorded before and after (start of a pseudo-batch). */
export function zeroGrads(e: Engine, grads: TrainableGrads): void {
  for (const g of grads.entries) {
    e.clear(g.weight);
    if (g.bias) e.clear(g.bias);
  }
}

export function releaseGrads(grads: TrainableGrads): void {
  for (const g of grads.entries) {
    g.weight.release();
    g.bias?.release();
  }
}
