import source from '../../../shaders/loss_row_attention.wgsl?raw';
import { shapeToString } from '../dtype';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { defineKernel, grid1d, type Access } from '../kernel';
import { expectDType, expectShape, type Tensor } from '../tensor';
import { attentionWindow, MAX_HEAD_DIM, type AttentionOptions } from './attention';

const WG = 64;

const PARAMS = ['batch:u32', 'seq:u32', 'rows:u32', 'q_heads:u32', 'kv_heads:u32', 'scale:f32', 'window:u32'] as const;
const kernel = (entryPoint: string, bindings: Access[]) => defineKernel({ name: entryPoint, source, entryPoint, params: PARAMS, bindings });

const kernels = {
  forward: kernel('loss_row_probs', ['read', 'read', 'read', 'read', 'write', 'write']),
  dsDq: kernel('loss_row_probs_backward_dq', ['read', 'read', 'read', 'read', 'read', 'read', 'write', 'write']),
  dk: kernel('loss_row_probs_backward_dk', ['read', 'read', 'write']),
};

interface Dims {
  readonly B: number;
  readonly T: number;
  readonly R: number;
  readonly Hq: number;
  readonly Hkv: number;
  readonly D: number;
  readonly scale: number;
  readonly window: number;
}

/** The chosen rows' queries, every key, the mask and the rows: what both directions read. */
export interface LossRowInputs {
  /** [B, R, Hq, D]: the queries of the chosen rows only. */
  readonly q: Tensor;
  /** [B, T, Hkv, D]: every key. */
  readonly k: Tensor;
  /** [B, T] u32 or i32: 1 = real token, 0 = padding. */
  readonly keyMask: Tensor;
  /** [B, R] i32: the position of each chosen row in its sequence. */
  readonly rows: Tensor;
}

function lossRowDims(op: string, { q, k, keyMask, rows }: LossRowInputs, opts: AttentionOptions): Dims {
  expectDType(op, 'q', q, 'f32');
  expectDType(op, 'k', k, 'f32');
  expectShape(op, 'q', q, [-1, -1, -1, -1]);
  const [B, R, Hq, D] = q.shape;
  expectShape(op, 'k', k, [B, -1, -1, D]);
  const [, T, Hkv] = k.shape;
  if (Hkv === 0 || Hq % Hkv !== 0) {
    throw new ShapeError(op, `q has ${Hq} heads (shape ${shapeToString(q.shape)}), not a multiple of the ${Hkv} heads of k (shape ${shapeToString(k.shape)})`);
  }
  if (D < 1 || D > MAX_HEAD_DIM) throw new ShapeError(op, `head dimension ${D} of q (shape ${shapeToString(q.shape)}) is outside 1..${MAX_HEAD_DIM}`);
  expectShape(op, 'keyMask', keyMask, [B, T]);
  if (keyMask.dtype !== 'u32' && keyMask.dtype !== 'i32') throw new ShapeError(op, `keyMask has dtype ${keyMask.dtype}, expected u32 or i32`);
  expectDType(op, 'rows', rows, 'i32');
  expectShape(op, 'rows', rows, [B, R]);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  if (!Number.isFinite(scale)) throw new Error(`${op}: scale ${opts.scale} is not finite`);
  return { B, T, R, Hq, Hkv, D, scale, window: attentionWindow(op, opts) };
}

function params(d: Dims) {
  return { batch: d.B, seq: d.T, rows: d.R, q_heads: d.Hq, kv_heads: d.Hkv, scale: d.scale, window: d.window };
}

function constants(d: Dims) {
  return { HEAD_DIM: d.D, DIMS_PER_INVOCATION: Math.ceil(d.D / WG) };
}

/**
 * Post-softmax probabilities [B, Hq, R, T] of R chosen query rows per sequence, from those rows'
 * queries alone, with the masking of `attention` (causal, key padding, sliding window, grouped-query heads): the same
 * numbers as `attentionProbs` after a full `attention` forward, for the cost of R rows instead of T.
 * Also returns lse [B, Hq, R], which `lossRowProbsBackward` reads. A row outside [0, T) or one that
 * sees no key gives probabilities 0 and lse 0.
 */
export function lossRowProbs(e: Engine, inputs: LossRowInputs, opts: AttentionOptions = {}): { probs: Tensor; lse: Tensor } {
  const d = lossRowDims('lossRowProbs', inputs, opts);
  const probs = e.empty([d.B, d.Hq, d.R, d.T]);
  const lse = e.empty([d.B, d.Hq, d.R]);
  e.run(kernels.forward, {
    constants: constants(d),
    params: params(d),
    tensors: [inputs.q, inputs.k, inputs.keyMask, inputs.rows, probs, lse],
    workgroups: [d.R, d.Hq, d.B],
  });
  return { probs, lse };
}

export interface LossRowBackwardInputs extends LossRowInputs {
  /** [B, Hq, R], from `lossRowProbs`. */
  readonly lse: Tensor;
  /** [B, Hq, R, T]: dLoss / dprobs. */
  readonly probsGrad: Tensor;
}

/**
 * Gradients of q [B, R, Hq, D] and k [B, T, Hkv, D] from dLoss / dprobs [B, Hq, R, T] of
 * `lossRowProbs`: dS = P (G - sum P G) per row, dq = scale dS k, dk = scale dS^T q summed over the
 * rows and the query heads of each kv head. Keys that no chosen row sees get dk 0.
 */
export function lossRowProbsBackward(e: Engine, inputs: LossRowBackwardInputs, opts: AttentionOptions = {}): { dq: Tensor; dk: Tensor } {
  const op = 'lossRowProbsBackward';
  const d = lossRowDims(op, inputs, opts);
  expectDType(op, 'lse', inputs.lse, 'f32');
  expectShape(op, 'lse', inputs.lse, [d.B, d.Hq, d.R]);
  expectDType(op, 'probsGrad', inputs.probsGrad, 'f32');
  expectShape(op, 'probsGrad', inputs.probsGrad, [d.B, d.Hq, d.R, d.T]);
  const c = constants(d);
  const p = params(d);
  const ds = e.empty([d.B, d.Hq, d.R, d.T]);
  const dq = e.empty(inputs.q.shape);
  e.run(kernels.dsDq, {
    constants: c,
    params: p,
    tensors: [inputs.q, inputs.k, inputs.keyMask, inputs.rows, inputs.lse, inputs.probsGrad, ds, dq],
    workgroups: [d.R, d.Hq, d.B],
  });
  const dk = e.empty(inputs.k.shape);
  e.run(kernels.dk, { constants: c, params: p, tensors: [inputs.q, ds, dk], workgroups: grid1d(dk.size, WG) });
  ds.release();
  return { dq, dk };
}
