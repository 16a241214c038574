/**
 * ABFT's last layer (spec §3-4): the loss reads only α of each sequence's loss row there, so this
 * layer needs k for every token but q for the loss rows only, and no v, no heads' output and nothing
 * after. Against the full `selfAttentionSaving` this skips the v projection and all but B rows of the
 * q projection, and in the backward all but B rows of dW_Q and of dx through W_Q (on GPT-2 124M at
 * 128 tokens, 0.6 GFLOP of the step's 44).
 *
 * The loss-row queries are scattered into an otherwise zero q [B, T, Hq, D], so the engine's attention
 * kernels (forward for lse, probabilities, backward) run unchanged: a zero query row has finite
 * scores, and no gradient reaches it, so it adds nothing to dk. The attention forward still visits
 * every (row, key) pair, about 4 % of the work skipped here.
 */
import { attention, attentionBackward, type AttentionProbsGrad } from '../engine/ops/attention';
import { embedding, embeddingBackward } from '../engine/ops/embedding';
import { rope, ropeBackward } from '../engine/ops/rope';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { asShape, linear, linearInputGrad, linearWeightGrad, ropeFrequencies, rowsView, type BatchTensors } from './blocks';
import type { LinearGrad, Projection } from './grads';
import type { LayerWeights, ModelSpec } from './spec';

/** Where the loss rows are: as rows of the [B * T, ·] activations, and their positions (for RoPE). */
export interface LossRows {
  /** [B, 1] i32, b * T + t of each sequence's loss row. */
  readonly flat: Tensor;
  /** [B, 1] i32, the position id of each loss row. */
  readonly positions: Tensor;
}

/** What the last layer's forward leaves for the probabilities and the backward. */
export interface LossRowAttentionSaved {
  /** [B, T, Hq, D], zero except at the loss rows (after RoPE). */
  readonly q: Tensor;
  /** [B, T, Hkv, D], every token (after RoPE). */
  readonly k: Tensor;
  /** [B, Hq, T]; only the loss rows' entries are read. */
  readonly lse: Tensor;
  /** [B, 1, C]: norm(h) at the loss rows, the input of the q projection. */
  readonly xRows: Tensor;
}

/** The loss rows of q and k over every token, from x = norm(h) [B, T, C]. */
export function lossRowAttentionSaving(e: Engine, spec: ModelSpec, layer: LayerWeights, x: Tensor, batch: BatchTensors, rows: LossRows): LossRowAttentionSaved {
  const { B, T } = batch;
  const rotate = (t: Tensor, positions: Tensor): Tensor => {
    if (spec.positions.kind !== 'rope') return t;
    const rotated = rope(e, t, positions, ropeFrequencies(batch), { layout: spec.positions.layout });
    t.release();
    return rotated;
  };
  const k = rotate(asShape(e, linear(e, x, layer.k), [B, T, spec.numKvHeads, spec.headDim]), batch.positions);
  const xRows = embedding(e, rowsView(x), rows.flat);
  const qRows = rotate(asShape(e, linear(e, xRows, layer.q), [B, 1, spec.numHeads, spec.headDim]), rows.positions);
  const qWidth = spec.numHeads * spec.headDim;
  const qFlat = embeddingBackward(e, rows.flat, qRows.reshape([B, qWidth]), B * T);
  qRows.release();
  const q = asShape(e, qFlat, [B, T, spec.numHeads, spec.headDim]);
  // v only fills a binding: the heads' output it would weigh is not used, only lse.
  const { out, lse } = attention(e, q, k, k, batch.keyMask);
  out.release();
  return { q, k, lse, xRows };
}

/**
 * Backward of `lossRowAttentionSaving` given dL/dα of the loss rows: dW_Q from the B loss rows, dW_K
 * from every token (each into its gradient in `grads` when trained), and, with `needDx`,
 * dx [B, T, C] = dk W_K^T plus dq W_Q^T added at the loss rows.
 */
export function lossRowAttentionBackward(
  e: Engine,
  spec: ModelSpec,
  layer: LayerWeights,
  x: Tensor,
  saved: LossRowAttentionSaved,
  batch: BatchTensors,
  rows: LossRows,
  probsGrad: AttentionProbsGrad,
  grads: Readonly<Partial<Record<Projection, LinearGrad>>>,
  needDx: boolean,
): Tensor | null {
  const { B, T } = batch;
  const { q, k, lse } = saved;
  // q stands in for the heads' output and k for v: without dOut the kernels read neither.
  const { dq, dk, dv } = attentionBackward(e, { q, k, v: k, out: q, lse, keyMask: batch.keyMask, probsGrad });
  dv.release();
  const unrotate = (d: Tensor, positions: Tensor): Tensor => {
    if (spec.positions.kind !== 'rope') return d;
    const back = ropeBackward(e, d, positions, ropeFrequencies(batch), { layout: spec.positions.layout });
    d.release();
    return back;
  };
  const qWidth = spec.numHeads * spec.headDim;
  const dqPicked = embedding(e, dq.reshape([B * T, qWidth]), rows.flat);
  dq.release();
  const dqRows = unrotate(asShape(e, dqPicked, [B, 1, spec.numHeads, spec.headDim]), rows.positions);
  const dkAll = unrotate(dk, batch.positions);
  const dkFlat = dkAll.reshape([B, T, spec.numKvHeads * spec.headDim]);
  const dqFlat = dqRows.reshape([B, 1, qWidth]);
  if (grads.q) linearWeightGrad(e, rowsView(saved.xRows), layer.q, rowsView(dqFlat), grads.q);
  if (grads.k) linearWeightGrad(e, rowsView(x), layer.k, rowsView(dkFlat), grads.k);
  let dx: Tensor | null = null;
  if (needDx) {
    dx = linearInputGrad(e, dkFlat, layer.k);
    const dxRows = linearInputGrad(e, dqFlat, layer.q);
    embeddingBackward(e, rows.flat, rowsView(dxRows), B * T, { out: rowsView(dx), accumulate: true });
    dxRows.release();
  }
  dqRows.release();
  dkAll.release();
  return dx;
}

export function releaseLossRowAttentionSaved(saved: LossRowAttentionSaved): void {
  for (const t of [saved.q, saved.k, saved.lse, saved.xRows]) t.release();
}
