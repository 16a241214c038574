/**
 * Buffers for W_Q and W_K (with their biases) of every layer, packed side by side in the order the
 * trainer steps them (layer by layer, q then k, weight then bias: grads.ts's order for 'qk'), so
 * that the optimizer updates all of them, their gradients and their Adam moments in one launch per
 * buffer (optimizer.ts `stepSegments`) instead of one per tensor. Zeroed; the loader writes them.
 */
import type { Engine } from '../engine/engine';
import type { LinearWeights, ModelSpec } from './spec';

export interface PackedQK {
  readonly q: LinearWeights;
  readonly k: LinearWeights;
}

export function packTrainable(e: Engine, spec: ModelSpec): PackedQK[] {
  const H = spec.hiddenSize;
  const outs = { q: spec.numHeads * spec.headDim, k: spec.numKvHeads * spec.headDim };
  const shapes: number[][] = [];
  for (let l = 0; l < spec.numLayers; l++) {
    for (const which of ['q', 'k'] as const) {
      shapes.push([H, outs[which]]);
      if (spec.qkvBias) shapes.push([outs[which]]);
    }
  }
  const tensors = e.zerosGroup(shapes);
  let next = 0;
  const linear = (): LinearWeights => ({ weight: tensors[next++], bias: spec.qkvBias ? tensors[next++] : null });
  return Array.from({ length: spec.numLayers }, () => {
    const q = linear();
    return { q, k: linear() };
  });
}
