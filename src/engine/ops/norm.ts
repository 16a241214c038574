import source from '../../../shaders/norm.wgsl?raw';
import { shapeToString } from '../dtype';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { defineKernel, grid1d } from '../kernel';
import { expectDType, expectShape, type Tensor } from '../tensor';
import { sumColumns } from './reduce';
/**
 * The row kernels take softmax's row workgroup: the smallest power of two that holds a row, 32 to
 * 256 (the shaders' WG). A row of C ≤ 256 gives every invocation at most one element either way,
 * and the tree reduction then only adds zeros beyond it, so results are the same to the bit as with
 * 256; but the idle invocations and their barriers are gone, which a software adapter (SwiftShader
 * runs each invocation in turn) pays for in full: 64-wide rows (the classroom model) normed 4 times
 * faster there.
 */
import { rowWorkgroupSize } from './softmax';

const WG = 256;

/** Rows per partial sum of the weight gradients: enough invocations to fill a GPU at a few thousand rows, short serial loops. */
const GRAD_CHUNK = 32;
const ROW = ['rows:u32', 'C:u32', 'eps:f32'] as const;
const RMS_ROW = ['rows:u32', 'C:u32', 'eps:f32', 'weight_offset:f32'] as const;
const GRAD = ['rows:u32', 'C:u32', 'chunk:u32'] as const;

const kernels = {
  layerNorm: defineKernel({ name: 'layernorm_forward', source, entryPoint: 'layernorm_forward', params: ROW, bindings: ['read', 'read', 'read', 'write', 'write', 'write'] }),
  layerNormBackward: defineKernel({
    name: 'layernorm_backward',
    source,
    entryPoint: 'layernorm_backward',
    params: ROW,
    bindings: ['read', 'read', 'read', 'read', 'read', 'write'],
  }),
  rmsNorm: defineKernel({ name: 'rmsnorm_forward', source, entryPoint: 'rmsnorm_forward', params: RMS_ROW, bindings: ['read', 'read', 'write', 'write'] }),
  rmsNormBackward: defineKernel({ name: 'rmsnorm_backward', source, entryPoint: 'rmsnorm_backward', params: RMS_ROW, bindings: ['read', 'read', 'read', 'read', 'write'] }),
  layerNormParamGrads: defineKernel({
    name: 'layernorm_param_grads',
    source,
    entryPoint: 'layernorm_param_grads',
    params: GRAD,
    bindings: ['read', 'read', 'read', 'read', 'write', 'write'],
  }),
  rmsNormParamGrads: defineKernel({ name: 'rmsnorm_param_grads', source, entryPoint: 'rmsnorm_param_grads', params: GRAD, bindings: ['read', 'read', 'read', 'write'] }),
};

export interface NormBackwardOptions {
  /** Also compute the gradients of the (usually frozen) weight and bias: two extra launches. */
  readonly needWeightGrads?: boolean;
}

export interface RmsNormOptions {
  /**
   * Added to the weight before it scales the row: y = xhat * (weightOffset + w). 0 (Llama, Qwen)
   * by default; Gemma stores w around 0 and scales by (1 + w), so it passes 1. The sum is taken in
   * f32, as Gemma's float32 `1.0 + weight.float()`.
   */
  readonly weightOffset?: number;
}

function checkWeightOffset(op: string, weightOffset: number): void {
  if (!Number.isFinite(weightOffset)) throw new Error(`${op}: weightOffset = ${weightOffset}, expected a finite number`);
}

/** x[..., C] with rows = product of the leading dims; checks a [C] parameter against it. */
function rowsOf(op: string, x: Tensor, params: Record<string, Tensor>): { rows: number; C: number } {
  expectDType(op, 'x', x, 'f32');
  if (x.rank < 1) throw new ShapeError(op, `x has shape ${shapeToString(x.shape)}, expected [..., C]`);
  const C = x.shape[x.rank - 1];
  for (const [name, t] of Object.entries(params)) {
    expectDType(op, name, t, 'f32');
    expectShape(op, name, t, [C]);
  }
  return { rows: C === 0 ? 0 : x.size / C, C };
}

function rowStats(op: string, rows: number, stats: Record<string, Tensor>): void {
  for (const [name, t] of Object.entries(stats)) {
    expectDType(op, name, t, 'f32');
    if (t.size !== rows) throw new ShapeError(op, `${name} has shape ${shapeToString(t.shape)} (${t.size} values), expected one value per row of x (${rows})`);
  }
}

function sameAsX(op: string, x: Tensor, dy: Tensor): void {
  expectDType(op, 'dy', dy, 'f32');
  if (dy.shape.join() !== x.shape.join()) throw new ShapeError(op, `dy has shape ${shapeToString(dy.shape)}, expected x's shape ${shapeToString(x.shape)}`);
}

function checkEps(op: string, eps: number): void {
  if (!(eps > 0) || !Number.isFinite(eps)) throw new Error(`${op}: eps = ${eps}, expected a positive finite number`);
}

/** Stats shape: x's leading dims, so mean[b, t] belongs to x[b, t, :]. */
const statShape = (x: Tensor) => x.shape.slice(0, -1);

/** Reduces per-chunk partial sums [chunks, C] to [C] in a fixed order (bit-identical runs); releases the partials. */
function sumChunks(e: Engine, partial: Tensor): Tensor {
  const out = sumColumns(e, partial);
  partial.release();
  return out;
}

/**
 * LayerNorm over the last dim: y = (x - mean) * rstd * weight + bias, rstd = 1 / sqrt(var + eps)
 * with the biased variance; eps defaults to GPT-2's layer_norm_epsilon.
 */
export function layerNorm(e: Engine, x: Tensor, weight: Tensor, bias: Tensor, eps = 1e-5): { y: Tensor; mean: Tensor; rstd: Tensor } {
  const { rows, C } = rowsOf('layerNorm', x, { weight, bias });
  checkEps('layerNorm', eps);
  const y = e.empty(x.shape);
  const mean = e.empty(statShape(x));
  const rstd = e.empty(statShape(x));
  e.run(kernels.layerNorm, { constants: { WG: rowWorkgroupSize(C) }, params: { rows, C, eps }, tensors: [x, weight, bias, y, mean, rstd], workgroups: grid1d(rows, 1) });
  return { y, mean, rstd };
}

export function layerNormBackward(
  e: Engine,
  x: Tensor,
  weight: Tensor,
  mean: Tensor,
  rstd: Tensor,
  dy: Tensor,
  opts: NormBackwardOptions = {},
): { dx: Tensor; dWeight?: Tensor; dBias?: Tensor } {
  const op = 'layerNormBackward';
  const { rows, C } = rowsOf(op, x, { weight });
  rowStats(op, rows, { mean, rstd });
  sameAsX(op, x, dy);
  const dx = e.empty(x.shape);
  // eps only enters the forward pass; rstd carries it here.
  e.run(kernels.layerNormBackward, { constants: { WG: rowWorkgroupSize(C) }, params: { rows, C, eps: 0 }, tensors: [x, weight, mean, rstd, dy, dx], workgroups: grid1d(rows, 1) });
  if (!opts.needWeightGrads) return { dx };
  const chunks = Math.max(1, Math.ceil(rows / GRAD_CHUNK));
  // Every (chunk, column) is written, so the partials need no clearing.
  const pw = e.empty([chunks, C]);
  const pb = e.empty([chunks, C]);
  e.run(kernels.layerNormParamGrads, {
    params: { rows, C, chunk: GRAD_CHUNK },
    tensors: [x, mean, rstd, dy, pw, pb],
    workgroups: [Math.ceil(C / WG), chunks],
  });
  return { dx, dWeight: sumChunks(e, pw), dBias: sumChunks(e, pb) };
}

/**
 * Llama RMSNorm over the last dim: y = x * rsqrt(mean(x^2) + eps) * (weightOffset + weight). eps has
 * no default because the family disagrees (1e-5 in Llama 2/3, 1e-6 in many others): take it from the
 * config. Any [..., C] layout works: Qwen3's and Gemma 3's QK-norm is q [B, T, heads, head_dim] with a
 * [head_dim] weight, each head of each token one row.
 */
export function rmsNorm(e: Engine, x: Tensor, weight: Tensor, eps: number, opts: RmsNormOptions = {}): { y: Tensor; rstd: Tensor } {
  const { rows, C } = rowsOf('rmsNorm', x, { weight });
  checkEps('rmsNorm', eps);
  const weightOffset = opts.weightOffset ?? 0;
  checkWeightOffset('rmsNorm', weightOffset);
  const y = e.empty(x.shape);
  const rstd = e.empty(statShape(x));
  e.run(kernels.rmsNorm, { constants: { WG: rowWorkgroupSize(C) }, params: { rows, C, eps, weight_offset: weightOffset }, tensors: [x, weight, y, rstd], workgroups: grid1d(rows, 1) });
  return { y, rstd };
}

export function rmsNormBackward(
  e: Engine,
  x: Tensor,
  weight: Tensor,
  rstd: Tensor,
  dy: Tensor,
  opts: NormBackwardOptions & RmsNormOptions = {},
): { dx: Tensor; dWeight?: Tensor } {
  const op = 'rmsNormBackward';
  const { rows, C } = rowsOf(op, x, { weight });
  rowStats(op, rows, { rstd });
  sameAsX(op, x, dy);
  const weightOffset = opts.weightOffset ?? 0;
  checkWeightOffset(op, weightOffset);
  const dx = e.empty(x.shape);
  e.run(kernels.rmsNormBackward, { constants: { WG: rowWorkgroupSize(C) }, params: { rows, C, eps: 0, weight_offset: weightOffset }, tensors: [x, weight, rstd, dy, dx], workgroups: grid1d(rows, 1) });
  if (!opts.needWeightGrads) return { dx };
  const chunks = Math.max(1, Math.ceil(rows / GRAD_CHUNK));
  // d y / d w = xhat whatever the offset, so the weight gradient pass is the plain one.
  const pw = e.empty([chunks, C]);
  e.run(kernels.rmsNormParamGrads, { params: { rows, C, chunk: GRAD_CHUNK }, tensors: [x, rstd, dy, pw], workgroups: [Math.ceil(C / WG), chunks] });
  return { dx, dWeight: sumChunks(e, pw) };
}
