import source from '../../../shaders/softmax.wgsl?raw';
import type { Engine } from '../engine';
import { defineKernel, grid1d } from '../kernel';
import { expectDType, expectShape, type Tensor } from '../tensor';
import { rowWorkgroupSize } from './softmax';

const SCALE_WG = 256;

const kernels = {
  scale: defineKernel({
    name: 'ce_scale',
    source,
    entryPoint: 'ce_scale',
    params: ['rows:u32', 'cols:u32', 'mean:u32'],
    bindings: ['read', 'write'],
  }),
  forwardBackward: defineKernel({
    name: 'ce_forward_backward',
    source,
    entryPoint: 'ce_forward_backward',
    params: ['rows:u32', 'cols:u32'],
    bindings: ['read', 'read', 'read', 'write', 'write'],
  }),
  tokenLogProbs: defineKernel({
    name: 'token_log_probs',
    source,
    entryPoint: 'token_log_probs',
    params: ['rows:u32', 'cols:u32'],
    bindings: ['read', 'read', 'write'],
  }),
};

export interface CrossEntropyOptions {
  /**
   * How dLogits is scaled: 'mean' (default) divides by the number of counted rows, which a small
   * kernel counts on the GPU from `targets`, so no readback stalls the step; 'sum' leaves it at 1
   * (use it with the optimizer's gradScale when the mean must span several micro-batches).
   */
  readonly reduction?: 'mean' | 'sum';
}

export interface CrossEntropyResult {
  /** [N] logsumexp(logits[n]) - logits[n, target[n]], unscaled; 0 for ignored rows. */
  readonly loss: Tensor;
  /** [N, V] (softmax(logits) - onehot(target)) * scale; 0 in ignored rows. */
  readonly dLogits: Tensor;
}

/**
 * Loss and logit gradient of softmax cross-entropy in one pass. `logits` [N, V] holds only the
 * vocabulary columns the caller scores (label words, or the whole vocabulary); `targets` i32 [N]
 * index those columns. A target of -1, or any value outside [0, V), ignores its row: loss 0,
 * gradient 0, not counted for 'mean', and no logit is read at that index. The CPU side validates
 * labels before upload, so out-of-range targets are treated as ignored rather than reported.
 */
export function crossEntropy(e: Engine, logits: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): CrossEntropyResult {
  const op = 'crossEntropy';
  expectDType(op, 'logits', logits, 'f32');
  expectShape(op, 'logits', logits, [-1, -1]);
  const [rows, cols] = logits.shape;
  expectDType(op, 'targets', targets, 'i32');
  expectShape(op, 'targets', targets, [rows]);
  const reduction = opts.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') throw new Error(`${op}: reduction is '${String(reduction)}', expected 'mean' or 'sum'`);
  if (cols === 0) throw new Error(`${op}: logits has shape [${logits.shape}], expected at least one column`);

  const scale = e.empty([1]);
  e.run(kernels.scale, {
    constants: { WG: SCALE_WG },
    params: { rows, cols, mean: reduction === 'mean' ? 1 : 0 },
    tensors: [targets, scale],
    workgroups: [1],
  });
  const loss = e.empty([rows]);
  const dLogits = e.empty([rows, cols]);
  e.run(kernels.forwardBackward, {
    constants: { WG: rowWorkgroupSize(cols) },
    params: { rows, cols },
    tensors: [logits, targets, scale, loss, dLogits],
    workgroups: grid1d(rows, 1),
  });
  // Launches run in recording order, so a later reuse of this buffer cannot overtake the read above.
  scale.release();
  return { loss, dLogits };
}

/**
 * log softmax(logits[n])[targets[n, k]]: the log-probability of K chosen columns of each row over
 * all of the row's columns, [N, K]; crossEntropy's loss is its negative. Nothing of the size of the
 * logits is written, so scoring label words over a whole vocabulary reads back N * K numbers. A
 * target of -1, or any value outside [0, V), gives 0 (a padding slot).
 */
export function tokenLogProbs(e: Engine, logits: Tensor, targets: Tensor): Tensor {
  const op = 'tokenLogProbs';
  expectDType(op, 'logits', logits, 'f32');
  expectShape(op, 'logits', logits, [-1, -1]);
  const [rows, cols] = logits.shape;
  expectDType(op, 'targets', targets, 'i32');
  expectShape(op, 'targets', targets, [rows, -1]);
  const perRow = targets.shape[1];
  if (cols === 0 || perRow === 0) throw new Error(`${op}: logits [${logits.shape}] and targets [${targets.shape}] need at least one column each`);
  const out = e.empty([rows, perRow]);
  e.run(kernels.tokenLogProbs, {
    constants: { WG: rowWorkgroupSize(cols), TARGETS: perRow },
    params: { rows, cols },
    tensors: [logits, targets, out],
    workgroups: grid1d(rows, 1),
  });
  return out;
}
