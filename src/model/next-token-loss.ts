/**
 * The pretraining loss: next-token cross-entropy over every position of every sequence, summed
 * (the caller divides by `countTargets`, e.g. through the optimizer's gradScale, so micro-batches
 * add up to the mean over the pseudo-batch). Its head runs in the backward, block by block of rows:
 * the final norm of all B * T rows, then per block the logits over the whole vocabulary, the loss
 * and dLogits in one kernel, dx and (when trained) the LM head's gradient, and the block's logits are
 * freed before the next. So pretraining never holds [B * T, V] logits: at most `rows` × V of them
 * (a budget, 32 MiB by default, rounded to what the adapter binds), where GPT-2's 50257-word head at
 * B * T = 1024 would need 206 MB twice over (logits and their gradient) in one buffer otherwise.
 */
import { crossEntropy } from '../engine/ops/cross-entropy';
import type { Engine } from '../engine/engine';
import { Tensor } from '../engine/tensor';
import type { TokenBatch } from './batch';
import { lmHeadGrads, normalize, normalizeBackward, rowsView } from './blocks';
import type { ModelGrads } from './grads';
import { maxTensorBytes } from './memory';
import { scope } from './scope';
import type { ModelSpec, ModelWeights } from './spec';
import { vocabularyLogits, vocabularyLogitsBackward, vocabularyLogitsWeightGrad } from './vocabulary-table';

/** Bytes of logits one row block may take (its gradient and a chunk's columns take as much again). */
export const DEFAULT_LOGITS_BLOCK_BYTES = 32 * 2 ** 20;

/**
 * [B * T]: the token each position predicts, ids[b, t + 1], or -1 (ignored: no loss, no gradient)
 * where t is a sequence's last real token or padding. Works for left and right padding alike.
 */
export function nextTokenTargets(batch: TokenBatch): Int32Array {
  const { B, T, ids, keyMask } = batch;
  const targets = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      const i = b * T + t;
      if (keyMask[i] && keyMask[i + 1]) targets[i] = ids[i + 1];
    }
  }
  return targets;
}

/** Positions that have a target: what the summed loss is divided by for the mean. */
export function countTargets(targets: Int32Array): number {
  return targets.reduce((n, t) => n + (t >= 0 ? 1 : 0), 0);
}

/**
 * Rows per block: as many as `budgetBytes` of logits allow (and one buffer of this adapter holds),
 * a multiple of the rows whose f32 or i32 values fill one storage offset alignment, so every block
 * starts at a bindable offset of the row-major activations; at least one such step.
 */
export function logitsBlockRows(e: Engine, vocabSize: number, budgetBytes = DEFAULT_LOGITS_BLOCK_BYTES): number {
  const step = e.storageAlignment / 4;
  const bytes = Math.min(budgetBytes, maxTensorBytes(e.limits));
  return Math.max(step, Math.floor(bytes / (vocabSize * 4) / step) * step);
}

/** Rows [first, first + rows) of a row-major [N, ...] tensor, as a view (not owning its buffer). */
function rowsOf(t: Tensor, first: number, rows: number): Tensor {
  const width = t.size / t.shape[0];
  return new Tensor([rows, ...t.shape.slice(1)], t.dtype, t.buffer, null, t.byteOffset + first * width * 4);
}

export interface NextTokenLossResult {
  /** [B, T, C]: the loss's gradient on the last hidden state. */
  readonly dh: Tensor;
  /** [B * T]: each position's loss, logsumexp - logit of its target; 0 where ignored. */
  readonly loss: Tensor;
}

/**
 * The loss of the last hidden state h [B, T, C] against `targets` [B * T] (i32, -1 ignored) and its
 * gradient: dh, and with `grads` the final norm's and LM head's (the embedding's when tied) summed
 * in. `blockRows` as `logitsBlockRows` gives (tests pass a small one to run several blocks).
 */
export function nextTokenLossBackward(
  e: Engine,
  spec: ModelSpec,
  weights: ModelWeights,
  h: Tensor,
  targets: Tensor,
  grads: ModelGrads | null,
  blockRows = logitsBlockRows(e, spec.vocabSize),
): NextTokenLossResult {
  const N = h.size / spec.hiddenSize;
  if (targets.size !== N || targets.dtype !== 'i32') throw new Error(`nextTokenLossBackward: targets are ${targets.dtype} [${targets.shape}], expected i32 [${N}]`);
  if (blockRows < 1 || (blockRows < N && blockRows % (e.storageAlignment / 4) !== 0)) {
    throw new Error(`nextTokenLossBackward: blockRows = ${blockRows} must be a multiple of ${e.storageAlignment / 4} (the storage offset alignment in values)`);
  }
  return scope(e, () => {
    const { y: x, saved } = normalize(e, spec, weights.finalNorm, rowsView(h));
    const dx = e.empty(x.shape);
    const loss = e.empty([N]);
    for (let first = 0; first < N; first += blockRows) {
      const rows = Math.min(blockRows, N - first);
      scope(e, () => {
        const xBlock = rowsOf(x, first, rows);
        const logits = vocabularyLogits(e, xBlock, weights.lmHead);
        const { loss: blockLoss, dLogits } = crossEntropy(e, logits, rowsOf(targets, first, rows), { reduction: 'sum' });
        logits.release();
        e.copy(blockLoss, rowsOf(loss, first, rows));
        if (grads) vocabularyLogitsWeightGrad(e, xBlock, weights.lmHead, dLogits, lmHeadGrads(grads));
        e.copy(vocabularyLogitsBackward(e, dLogits, weights.lmHead), rowsOf(dx, first, rows));
      });
    }
    const dh = normalizeBackward(e, spec, weights.finalNorm, saved, dx, grads?.finalNorm).reshape(h.shape);
    return { dh, loss };
  });
}
