/**
 * ABFT's last layer (spec §3-4): the loss reads only α of each sequence's loss row there, so this
 * layer needs k for every token but q for the loss rows only, and no v, no heads' output and nothing
 * after. Against the full `selfAttention` this skips the v projection and all but B rows of the
 * q projection, and in the backward all but B rows of dW_Q and of dx through W_Q (on GPT-2 124M at
 * 128 tokens, 0.6 GFLOP of the step's 44).
 *
 * The attention itself runs on the B loss-row queries alone (ops/loss-row-attention.ts): α and lse
 * of those rows in one launch, dq of those rows and dk of every key in two more. The engine's full
 * attention kernels need q of every row, so they would have the loss rows scattered into an otherwise
 * zero q [B, T, Hq, D] and visit all T (T + 1) / 2 (row, key) pairs of every head, forward and
 * backward, only to keep B rows: nine launches (scatter, forward for lse, probabilities; token info,
 * gradient merge, row statistics, dq, dk and dv, pick of dq), four T-row buffers of which at most
 * B rows mattered (the zero q, the heads' output, dq, dv) and, on GPT-2 124M at 128 tokens, some
 * 300 ms of lavapipe time against 6-11 ms here.
 */
import { embedding, embeddingBackward } from '../engine/ops/embedding';
import { lossRowProbs, lossRowProbsBackward } from '../engine/ops/loss-row-attention';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { layerAttention, linearInputGrad, linearWeightGrad, projectedHeads, projectedHeadsBackward, rowsView, type BatchTensors, type NormSaved } from './blocks';
import type { LayerGrads } from './grads';
import type { LayerWeights, ModelSpec } from './spec';

/** Where the loss rows are: in their sequences, as rows of the [B * T, ·] activations, and their positions (for RoPE). */
export interface LossRows {
  /** [B, 1] i32, t of each sequence's loss row. */
  readonly inSequence: Tensor;
  /** [B, 1] i32, b * T + t of each sequence's loss row. */
  readonly flat: Tensor;
  /** [B, 1] i32, the position id of each loss row. */
  readonly positions: Tensor;
}

/** What the last layer's forward leaves for the backward. */
export interface LossRowAttentionSaved {
  /** [B, 1, Hq, D], the loss rows' queries (after QK-norm and RoPE). */
  readonly q: Tensor;
  /** [B, T, Hkv, D], every token (after QK-norm and RoPE). */
  readonly k: Tensor;
  /** [B, Hq, 1], the log-sum-exp of each loss row's scaled scores. */
  readonly lse: Tensor;
  /** [B, 1, C]: norm(h) at the loss rows, the input of the q projection. */
  readonly xRows: Tensor;
  /** QK-norm's inputs and statistics (Qwen3), of the loss rows' q and every k; null without QK-norm. */
  readonly qNorm: NormSaved | null;
  readonly kNorm: NormSaved | null;
}

/**
 * The loss rows of q, k over every token and α [B, Hq, 1, T] of the loss rows (which the caller owns),
 * from x = norm(h) [B, T, C] in layer l (whose RoPE, scale and window layerAttention gives).
 */
export function lossRowAttention(
  e: Engine,
  spec: ModelSpec,
  layer: LayerWeights,
  x: Tensor,
  batch: BatchTensors,
  l: number,
  rows: LossRows,
): { saved: LossRowAttentionSaved; probs: Tensor } {
  const { batch: layerBatch, opts } = layerAttention(spec, batch, l);
  const { heads: k, norm: kNorm } = projectedHeads(e, spec, layerBatch, x, layer.k, layer.kNorm, spec.numKvHeads, batch.positions);
  const xRows = embedding(e, rowsView(x), rows.flat);
  const { heads: q, norm: qNorm } = projectedHeads(e, spec, layerBatch, xRows, layer.q, layer.qNorm, spec.numHeads, rows.positions);
  const { probs, lse } = lossRowProbs(e, { q, k, keyMask: batch.keyMask, rows: rows.inSequence }, opts);
  return { saved: { q, k, lse, xRows, qNorm, kNorm }, probs };
}

/**
 * Backward of `lossRowAttention` given dL/dα [B, Hq, 1, T] of the loss rows: dW_Q from the B
 * loss rows, dW_K from every token (each into its gradient in `grads` when trained), and, with
 * `needDx`, dx [B, T, C] = dk W_K^T plus dq W_Q^T added at the loss rows.
 */
export function lossRowAttentionBackward(
  e: Engine,
  spec: ModelSpec,
  layer: LayerWeights,
  x: Tensor,
  saved: LossRowAttentionSaved,
  batch: BatchTensors,
  l: number,
  rows: LossRows,
  probsGrad: Tensor,
  grads: LayerGrads,
  needDx: boolean,
): Tensor | null {
  const { B, T } = batch;
  const { q, k, lse } = saved;
  const { batch: layerBatch, opts } = layerAttention(spec, batch, l);
  const { dq, dk } = lossRowProbsBackward(e, { q, k, keyMask: batch.keyMask, rows: rows.inSequence, lse, probsGrad }, opts);
  const qWidth = spec.numHeads * spec.headDim;
  const dqRows = projectedHeadsBackward(e, spec, layerBatch, dq, layer.qNorm, saved.qNorm, rows.positions, grads.qNorm);
  const dkAll = projectedHeadsBackward(e, spec, layerBatch, dk, layer.kNorm, saved.kNorm, batch.positions, grads.kNorm);
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
