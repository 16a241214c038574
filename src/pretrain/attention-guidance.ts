/**
 * Pretraining's loss on attention (attention guidance): for chosen heads of one layer, at chosen
 * query rows, the negative log of the attention mass on chosen keys. Olsson et al. (2022) show that
 * induction heads form in a phase change late in plain language modelling; guiding the two heads
 * of the circuit (a previous-line head that summarises a line at its label, and a head that matches
 * the query line to the demonstration with the same key and reads its label) makes a tiny model
 * reach it within a budget a software adapter can run. One launch per guided layer; nothing is read back.
 */
import source from '../../shaders/attention_guidance.wgsl?raw';
import type { Engine } from '../engine/engine';
import { defineKernel, grid1d } from '../engine/kernel';
import { rowWorkgroupSize } from '../engine/ops/softmax';
import { expectDType, expectShape, type Tensor } from '../engine/tensor';

/** Added to the mass inside the log, so a row with no mass on its targets has a finite loss. */
export const GUIDANCE_EPS = 1e-6;

const kernel = defineKernel({
  name: 'attention_guidance',
  source,
  entryPoint: 'attention_guidance',
  params: ['batch:u32', 'heads:u32', 'rows:u32', 'cols:u32', 'eps:f32'],
  bindings: ['read', 'read', 'read', 'write', 'write'],
});

export interface AttentionGuidanceResult {
  /** [B, H, R, T]: dL/dα, 0 off the targets, on rows without one and on heads of weight 0. */
  readonly probsGrad: Tensor<'f32'>;
  /** [B, H, R]: w_h · -log(mass + eps) of each row with targets, else 0. */
  readonly loss: Tensor<'f32'>;
}

/**
 * `probs` f32 [B, H, R, T] (one layer's α at R rows per sequence); `targets` u32 [B, R, T], 1 where
 * key j is a target of row r; `headWeights` f32 [H], each head's weight (0: not guided).
 */
export function attentionGuidance(e: Engine, probs: Tensor, targets: Tensor, headWeights: Tensor): AttentionGuidanceResult {
  const op = 'attentionGuidance';
  expectDType(op, 'probs', probs, 'f32');
  expectShape(op, 'probs', probs, [-1, -1, -1, -1]);
  const [batch, heads, rows, cols] = probs.shape;
  expectDType(op, 'targets', targets, 'u32');
  expectShape(op, 'targets', targets, [batch, rows, cols]);
  expectDType(op, 'headWeights', headWeights, 'f32');
  expectShape(op, 'headWeights', headWeights, [heads]);
  const probsGrad = e.empty(probs.shape) as Tensor<'f32'>;
  const loss = e.empty([batch, heads, rows]) as Tensor<'f32'>;
  e.run(kernel, {
    constants: { WG: rowWorkgroupSize(cols) },
    params: { batch, heads, rows, cols, eps: GUIDANCE_EPS },
    tensors: [probs, targets, headWeights, probsGrad, loss],
    workgroups: grid1d(batch * heads * rows, 1),
  });
  return { probsGrad, loss };
}
