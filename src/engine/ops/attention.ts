import source from '../../../shaders/attention.wgsl?raw';
import { shapeToString } from '../dtype';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { defineKernel, grid1d, type Access } from '../kernel';
import { expectDType, expectShape, type Tensor } from '../tensor';

const WG = 64;
/**
 * Gemma 3's head dimension (256), the largest of the supported architectures. The row kernels keep a
 * row's q and accumulators (up to 4 x HEAD_DIM f32 in dk/dv) in private memory: past about 128 that
 * spills from registers on most GPUs, slower but exact.
 */
export const MAX_HEAD_DIM = 256;
const WORKGROUP_BYTES = 16384;

const PARAMS = ['batch:u32', 'seq:u32', 'q_heads:u32', 'kv_heads:u32', 'rows:u32', 'scale:f32', 'has_dout:u32', 'out_heads:u32', 'head_list:u32', 'window:u32'] as const;
const kernel = (entryPoint: string, bindings: Access[]) => defineKernel({ name: entryPoint, source, entryPoint, params: PARAMS, bindings });

const kernels = {
  forward: kernel('attention_forward', ['read', 'read', 'read', 'read', 'write', 'write']),
  probs: kernel('attention_probs', ['read', 'read', 'read', 'read', 'read', 'write', 'read']),
  tokenInfo: kernel('attention_token_info', ['read', 'read', 'write']),
  mergeGrad: kernel('attention_merge_grad', ['read', 'read', 'write']),
  stats: kernel('attention_backward_stats', ['read', 'read', 'read', 'read', 'read', 'read', 'read', 'write']),
  dq: kernel('attention_backward_dq', ['read', 'read', 'read', 'read', 'read', 'read', 'write']),
  dkdv: kernel('attention_backward_dkdv', ['read', 'read', 'read', 'read', 'read', 'read', 'write', 'write']),
};

export interface AttentionOptions {
  /** Multiplies q . k before the softmax; 1 / sqrt(D) by default (Gemma: query_pre_attn_scalar ** -0.5). */
  readonly scale?: number;
  /**
   * Sliding-window attention: query i sees at most `window` keys, itself and the window - 1 before it
   * (HF's `sliding_window`: key j is seen when i - window < j <= i). 0 or absent: every earlier key.
   */
  readonly window?: number;
}

/** Checks opts.window and returns it as the kernels' `window` parameter (0 = no window). */
export function attentionWindow(op: string, opts: AttentionOptions): number {
  const window = opts.window ?? 0;
  if (!Number.isInteger(window) || window < 0 || window > 2 ** 31 - 1) throw new Error(`${op}: window = ${opts.window}, expected a non-negative integer (0 = full causal)`);
  return window;
}

export interface AttentionProbsGrad {
  /** [B, R] i32: the query position of each chosen row, per sequence. */
  readonly rows: Tensor;
  /** [B, Hq, R, T]: dLoss / dP for those rows. */
  readonly grad: Tensor;
}

export interface AttentionBackwardInputs {
  readonly q: Tensor;
  readonly k: Tensor;
  readonly v: Tensor;
  readonly out: Tensor;
  readonly lse: Tensor;
  readonly keyMask: Tensor;
  /** dLoss / dOut, [B, T, Hq, D]; absent when only probabilities feed the loss. */
  readonly dOut?: Tensor;
  /** dLoss / dP of chosen rows, added to dP on top of what flows from dOut. */
  readonly probsGrad?: AttentionProbsGrad;
}

interface Dims {
  readonly B: number;
  readonly T: number;
  readonly Hq: number;
  readonly Hkv: number;
  readonly D: number;
  readonly scale: number;
  readonly window: number;
}

/**
 * Rows of a K/V (or Q/dO) tile: two f32 tiles of rows x D plus four scalars per row within 16 KiB, and
 * at most 64 because the forward keeps one score per tile row in registers.
 */
function tileRows(D: number): number {
  return Math.min(64, Math.floor(WORKGROUP_BYTES / (8 * D + 16)));
}

function attentionDims(op: string, q: Tensor, k: Tensor, keyMask: Tensor, opts: AttentionOptions): Dims {
  expectDType(op, 'q', q, 'f32');
  expectDType(op, 'k', k, 'f32');
  expectShape(op, 'q', q, [-1, -1, -1, -1]);
  const [B, T, Hq, D] = q.shape;
  expectShape(op, 'k', k, [B, T, -1, D]);
  const Hkv = k.shape[2];
  if (Hkv === 0 || Hq % Hkv !== 0) {
    throw new ShapeError(op, `q has ${Hq} heads (shape ${shapeToString(q.shape)}), not a multiple of the ${Hkv} heads of k (shape ${shapeToString(k.shape)})`);
  }
  if (D < 1 || D > MAX_HEAD_DIM) throw new ShapeError(op, `head dimension ${D} of q (shape ${shapeToString(q.shape)}) is outside 1..${MAX_HEAD_DIM}`);
  expectShape(op, 'keyMask', keyMask, [B, T]);
  if (keyMask.dtype !== 'u32' && keyMask.dtype !== 'i32') throw new ShapeError(op, `keyMask has dtype ${keyMask.dtype}, expected u32 or i32`);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  if (!Number.isFinite(scale)) throw new Error(`${op}: scale ${opts.scale} is not finite`);
  return { B, T, Hq, Hkv, D, scale, window: attentionWindow(op, opts) };
}

function expectRows(op: string, rows: Tensor, B: number): number {
  expectDType(op, 'rows', rows, 'i32');
  expectShape(op, 'rows', rows, [B, -1]);
  return rows.shape[1];
}

function params(d: Dims, rows: number, hasDOut: boolean) {
  return { batch: d.B, seq: d.T, q_heads: d.Hq, kv_heads: d.Hkv, rows, scale: d.scale, has_dout: hasDOut ? 1 : 0, out_heads: d.Hq, head_list: 0, window: d.window };
}

function constants(d: Dims) {
  return { HEAD_DIM: d.D, TILE: tileRows(d.D) };
}

/**
 * Causal self-attention with key padding and grouped-query heads. q [B, T, Hq, D]; k, v [B, T, Hkv, D];
 * keyMask [B, T] (1 = real token, 0 = padding, left or right). Query i sees keys j <= i that are real
 * (and within `opts.window` of it, if set).
 * Returns out [B, T, Hq, D] and lse [B, Hq, T], the log-sum-exp of each row's scaled scores, which the
 * backward and `attentionProbs` reuse. A row that sees no key gets out 0 and lse 0.
 */
export function attention(e: Engine, q: Tensor, k: Tensor, v: Tensor, keyMask: Tensor, opts: AttentionOptions = {}): { out: Tensor; lse: Tensor } {
  const d = attentionDims('attention', q, k, keyMask, opts);
  expectDType('attention', 'v', v, 'f32');
  expectShape('attention', 'v', v, k.shape);
  const out = e.empty(q.shape);
  const lse = e.empty([d.B, d.Hq, d.T]);
  e.run(kernels.forward, {
    constants: constants(d),
    params: params(d, 0, false),
    tensors: [q, k, v, keyMask, out, lse],
    workgroups: [Math.ceil(d.T / WG), d.Hq, d.B],
  });
  return { out, lse };
}

export interface AttentionProbsOptions extends AttentionOptions {
  /** i32 [H']: the query heads to return, in this order; all Hq heads when absent. */
  readonly heads?: Tensor;
}

/**
 * Post-softmax probabilities [B, H', R, T] of the query rows `rows` ([B, R] i32, a position per sequence)
 * of the chosen heads (all by default), recomputed from q, k and the forward's lse: ABFT reads the last
 * row of every head, the explorer every row of one head, and neither needs the T x T matrix of every head.
 * Masked and future keys get 0; a row outside [0, T) or a head outside [0, Hq) gives zeros.
 */
export function attentionProbs(e: Engine, q: Tensor, k: Tensor, lse: Tensor, keyMask: Tensor, rows: Tensor, opts: AttentionProbsOptions = {}): Tensor {
  const op = 'attentionProbs';
  const d = attentionDims(op, q, k, keyMask, opts);
  expectDType(op, 'lse', lse, 'f32');
  expectShape(op, 'lse', lse, [d.B, d.Hq, d.T]);
  const R = expectRows(op, rows, d.B);
  if (opts.heads) {
    expectDType(op, 'heads', opts.heads, 'i32');
    expectShape(op, 'heads', opts.heads, [-1]);
  }
  const outHeads = opts.heads ? opts.heads.size : d.Hq;
  const probs = e.empty([d.B, outHeads, R, d.T]);
  e.run(kernels.probs, {
    constants: constants(d),
    params: { ...params(d, R, false), out_heads: outHeads, head_list: opts.heads ? 1 : 0 },
    // Without a head list the binding is filled by `rows`, which the kernel then never reads as heads.
    tensors: [q, k, lse, keyMask, rows, probs, opts.heads ?? rows],
    workgroups: grid1d(probs.size, WG),
  });
  return probs;
}

/**
 * Gradients of q, k, v from dOut and/or a gradient on the probabilities of chosen rows. dk and dv sum
 * over the query heads sharing a kv head. Either gradient source may be absent (its term is zero).
 */
export function attentionBackward(e: Engine, inputs: AttentionBackwardInputs, opts: AttentionOptions = {}): { dq: Tensor; dk: Tensor; dv: Tensor } {
  const op = 'attentionBackward';
  const { q, k, v, out, lse, keyMask, dOut, probsGrad } = inputs;
  const d = attentionDims(op, q, k, keyMask, opts);
  expectDType(op, 'v', v, 'f32');
  expectShape(op, 'v', v, k.shape);
  expectDType(op, 'out', out, 'f32');
  expectShape(op, 'out', out, q.shape);
  expectDType(op, 'lse', lse, 'f32');
  expectShape(op, 'lse', lse, [d.B, d.Hq, d.T]);
  if (dOut) {
    expectDType(op, 'dOut', dOut, 'f32');
    expectShape(op, 'dOut', dOut, q.shape);
  }
  let R = 0;
  if (probsGrad) {
    R = expectRows(op, probsGrad.rows, d.B);
    expectDType(op, 'probsGrad.grad', probsGrad.grad, 'f32');
    expectShape(op, 'probsGrad.grad', probsGrad.grad, [d.B, d.Hq, R, d.T]);
  }
  const p = params(d, R, dOut !== undefined);
  const c = constants(d);
  // Absent inputs are bound to some tensor of the right size that the kernels never read (has_dout = 0, rows = 0).
  const dOutBound = dOut ?? out;

  const tok = e.empty([d.B, d.T], 'u32');
  e.run(kernels.tokenInfo, { params: p, tensors: [keyMask, probsGrad?.rows ?? keyMask, tok], workgroups: grid1d(tok.size, WG) });
  let merged: Tensor | null = null;
  if (probsGrad) {
    merged = e.empty(probsGrad.grad.shape);
    e.run(kernels.mergeGrad, { params: p, tensors: [probsGrad.rows, probsGrad.grad, merged], workgroups: grid1d(merged.size, WG) });
  }
  const gradBound = merged ?? lse;

  const stats = e.empty([d.B, d.Hq, d.T, 3], 'u32');
  const rowGrid: [number, number, number] = [Math.ceil(d.T / WG), d.Hq, d.B];
  e.run(kernels.stats, { constants: c, params: p, tensors: [q, k, out, dOutBound, lse, tok, gradBound, stats], workgroups: rowGrid });
  const dq = e.empty(q.shape);
  e.run(kernels.dq, { constants: c, params: p, tensors: [q, k, v, dOutBound, stats, gradBound, dq], workgroups: rowGrid });
  const dk = e.empty(k.shape);
  const dv = e.empty(v.shape);
  e.run(kernels.dkdv, {
    constants: c,
    params: p,
    tensors: [q, k, v, dOutBound, stats, gradBound, dk, dv],
    workgroups: [Math.ceil(d.T / WG), d.Hkv, d.B],
  });
  tok.release();
  merged?.release();
  stats.release();
  return { dq, dk, dv };
}

/**
 * FLOPs of causal attention over all B * Hq * T (T + 1) / 2 visible (query, key) pairs (fewer under a
 * sliding window), counting a multiply-add as 2: the forward does q.k and p v (4D per pair); the
 * backward recomputes q.k and does dO.v, dv, dq and dk (10D per pair). Softmax exponentials are not counted.
 */
export function attentionFlops(B: number, T: number, Hq: number, D: number, window = 0): { forward: number; backward: number } {
  // Query i sees min(i + 1, W) keys: the first W rows a triangle, the rest W each.
  const W = window === 0 ? T : Math.min(window, T);
  const pairs = B * Hq * ((W * (W + 1)) / 2 + (T - W) * W);
  return { forward: 4 * D * pairs, backward: 10 * D * pairs };
}
