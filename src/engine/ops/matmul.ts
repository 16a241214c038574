import source from '../../../shaders/matmul.wgsl?raw';
import { BYTES_PER_ELEMENT, shapeToString, type DType, type Shape } from '../dtype';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { isSoftwareAdapter } from '../device';
import { defineKernel, type KernelSpec } from '../kernel';
import { expectDType, expectShape, type Tensor } from '../tensor';
import { sumColumns } from './reduce';

/** Work split of one matmul launch; a benchmark may tune it per adapter (`setMatmulTiling`). */
export interface MatmulTiling {
  /** Rows and columns of C computed by one workgroup. */
  readonly tileM: number;
  readonly tileN: number;
  /** Depth of the slices of A and B staged through workgroup memory per step. */
  readonly tileK: number;
  /** Rows and columns of C each invocation holds in registers; tileM / threadM x tileN / threadN invocations. */
  readonly threadM: number;
  readonly threadN: number;
}

/** Candidate tilings for benchmarks; `wide`, `large` and `small` are the defaults, chosen by problem size. */
export const MATMUL_TILINGS = Object.freeze({
  /** 256 invocations of 4x4 outputs, 8 KiB of workgroup memory: the usual sweet spot on desktop GPUs. */
  large: { tileM: 64, tileN: 64, tileK: 16, threadM: 4, threadN: 4 },
  /** A quarter of the tile area, so that small products still spread over enough workgroups. */
  small: { tileM: 32, tileN: 32, tileK: 16, threadM: 2, threadN: 2 },
  /** Half the staging per step: more workgroups resident where workgroup memory is scarce. */
  k8: { tileM: 64, tileN: 64, tileK: 8, threadM: 4, threadN: 4 },
  /** 8x4 outputs per invocation: more reuse per load where registers are plentiful. */
  tall: { tileM: 128, tileN: 64, tileK: 8, threadM: 8, threadN: 4 },
  /** 8x8 outputs per invocation, 4 FMAs per workgroup-memory read: for large products on discrete GPUs. */
  wide: { tileM: 128, tileN: 128, tileK: 8, threadM: 8, threadN: 8 },
  /** 8 rows high: products of a few rows (the logits of last tokens) compute no padding rows of a 32- or 128-row tile. */
  rows: { tileM: 8, tileN: 128, tileK: 8, threadM: 1, threadN: 4 },
} satisfies Record<string, MatmulTiling>);

// Below this many workgroups the GPU is mostly idle, and smaller tiles buy parallelism.
const MIN_TILES = 64;
// A software adapter (lavapipe, SwiftShader) runs one workgroup per CPU thread at a time, so a few
// tiles keep it busy and larger tiles' reuse wins: on lavapipe (2 threads) at 128 tokens, GPT-2's
// c_attn took 207 ms with 'wide' against 672 ms with 'large' and 647 ms with 'small'
// (npm run bench:kernels -- --tokens 128 --only c_attn --tile NAME).
const SOFTWARE_MIN_TILES = 4;
// WebGPU's guaranteed minimum of workgroup memory; staying under it keeps every adapter working.
const MAX_WORKGROUP_BYTES = 16384;

const tilingOverride = new WeakMap<Engine, MatmulTiling>();

/** Fixes the tiling of every matmul on this engine that does not name one (null restores the size-based choice). */
export function setMatmulTiling(e: Engine, tiling: MatmulTiling | null): void {
  if (tiling) {
    checkTiling(e, tiling);
    tilingOverride.set(e, tiling);
  } else {
    tilingOverride.delete(e);
  }
}

export function matmulFlops(batch: number, m: number, n: number, k: number): number {
  return 2 * batch * m * n * k;
}

export interface MatmulOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  /** [N], added to every row after scaling: C = alpha * op(A) op(B) + bias. */
  readonly bias?: Tensor;
  readonly alpha?: number;
  /** Written in place instead of a new tensor; must have the result's shape and share no buffer with the inputs. */
  readonly out?: Tensor;
  /** With `out`: out += alpha * op(A) op(B) (+ bias), e.g. gradients summed over micro-batches. */
  readonly accumulate?: boolean;
  readonly tiling?: MatmulTiling;
}

/**
 * alpha * op(A) op(B) + bias. A is [..., M, K] ([..., K, M] with transA), B is [..., K, N] ([..., N, K]
 * with transB, the nn.Linear weight layout). Leading (batch) dimensions must agree where both
 * operands have them; an operand without them is shared by every batch. f16 operands need shader-f16.
 */
export function matmul(e: Engine, a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const plan = planProduct('matmul', a, b, opts.transA ?? false, opts.transB ?? false);
  return launch(e, 'matmul', plan, false, opts);
}

export interface MatmulGeluOptions {
  /** Also return the pre-activation x W + b, which GELU's backward reads (training); else only the activation is written. */
  readonly keepPre?: boolean;
  readonly tiling?: MatmulTiling;
}

/**
 * gelu_tanh(A B + bias) in one launch (GPT-2's c_fc + activation): the activation is applied as the
 * tile is stored, so the [M, N] pre-activation is not written and read back by a separate pass.
 * With keepPre the pre-activation is written too (for the backward), still saving that read.
 * A is [..., M, K]; B is [K, N] (a weight), bias [N].
 */
export function matmulBiasGelu(e: Engine, a: Tensor, b: Tensor, bias: Tensor, opts: MatmulGeluOptions = {}): { act: Tensor; pre: Tensor | null } {
  const plan = planProduct('matmulBiasGelu', a, b, false, false);
  if (b.rank !== 2) throw new ShapeError('matmulBiasGelu', `b has shape ${shapeToString(b.shape)}; the fused activation takes a shared [K, N] weight`);
  if (!opts.keepPre) return { act: launch(e, 'matmulBiasGelu', plan, false, { bias, tiling: opts.tiling, epilogue: 'gelu' }), pre: null };
  const act = e.empty(plan.outShape);
  const pre = launch(e, 'matmulBiasGelu', plan, false, { bias, tiling: opts.tiling, epilogue: 'gelu', geluOut: act });
  return { act, pre };
}

export interface MatmulBackwardOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  /** The forward's alpha; the gradients of A and B are scaled by it, the bias gradient is not. */
  readonly alpha?: number;
  /** Which gradients to compute: dA and dB by default, dBias only when asked. */
  readonly needA?: boolean;
  readonly needB?: boolean;
  readonly needBias?: boolean;
  /** Receives dB (shape of b); with accumulateB, dBOut += dB. */
  readonly dBOut?: Tensor;
  readonly accumulateB?: boolean;
  readonly tiling?: MatmulTiling;
}

/**
 * Gradients of C = alpha * op(A) op(B) + bias given dC, each one matmul with transposes. The
 * gradient of an operand shared by all batches sums over the batches.
 */
export function matmulBackward(
  e: Engine,
  a: Tensor,
  b: Tensor,
  dC: Tensor,
  opts: MatmulBackwardOptions = {},
): { dA?: Tensor; dB?: Tensor; dBias?: Tensor } {
  const op = 'matmulBackward';
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const fwd = planProduct(op, a, b, transA, transB);
  expectShape(op, 'dC', dC, fwd.outShape);
  expectDType(op, 'dC', dC, 'f32');
  if (opts.accumulateB && !opts.dBOut) throw new ShapeError(op, 'accumulateB needs dBOut');
  const alpha = opts.alpha ?? 1;
  const tiling = opts.tiling;
  const result: { dA?: Tensor; dB?: Tensor; dBias?: Tensor } = {};
  if (opts.needA ?? true) {
    // d op(A) = dC op(B)^T; with transA, dA = (d op(A))^T = op(B) dC^T.
    const plan = transA ? planProduct(op, b, dC, transB, true) : planProduct(op, dC, b, false, !transB);
    result.dA = launch(e, op, plan, a.rank === 2 && plan.batchShape.length > 0, { alpha, tiling });
  }
  if (opts.needB ?? true) {
    // d op(B) = op(A)^T dC; with transB, dB = (d op(B))^T = dC^T op(A).
    const plan = transB ? planProduct(op, dC, a, true, transA) : planProduct(op, a, dC, !transA, false);
    if (opts.dBOut) expectShape(op, 'dBOut', opts.dBOut, b.shape);
    result.dB = launch(e, op, plan, b.rank === 2 && plan.batchShape.length > 0, { alpha, tiling, out: opts.dBOut, accumulate: opts.accumulateB });
  }
  if (opts.needBias) {
    const n = fwd.n;
    const rows = n === 0 ? 0 : dC.size / n;
    result.dBias = rows === 0 ? e.zeros([n]) : sumColumns(e, dC.reshape([rows, n]));
  }
  return result;
}

interface ProductPlan {
  readonly a: Tensor;
  readonly b: Tensor;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly batch: number;
  readonly batchShape: Shape;
  readonly strideA: number;
  readonly strideB: number;
  readonly outShape: Shape;
}

function planProduct(op: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean): ProductPlan {
  for (const [name, t] of [['a', a], ['b', b]] as const) {
    if (t.rank < 2) throw new ShapeError(op, `${name} has shape ${shapeToString(t.shape)}, expected at least 2 dimensions`);
    if (t.dtype !== 'f32' && t.dtype !== 'f16') throw new ShapeError(op, `${name} has dtype ${t.dtype}, expected f32 or f16`);
  }
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const [m, k] = transA ? [aCols, aRows] : [aRows, aCols];
  const [kb, n] = transB ? [bCols, bRows] : [bRows, bCols];
  if (k !== kb) {
    throw new ShapeError(
      op,
      `a ${shapeToString(a.shape)}${transA ? ' (transposed)' : ''} has K = ${k} but b ${shapeToString(b.shape)}${transB ? ' (transposed)' : ''} has K = ${kb}`,
    );
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  if (aBatch.length > 0 && bBatch.length > 0 && shapeToString(aBatch) !== shapeToString(bBatch)) {
    throw new ShapeError(op, `batch dimensions of a ${shapeToString(a.shape)} and b ${shapeToString(b.shape)} differ`);
  }
  const batchShape = aBatch.length > 0 ? aBatch : bBatch;
  const batch = batchShape.reduce((p, d) => p * d, 1);
  return {
    a,
    b,
    transA,
    transB,
    m,
    n,
    k,
    batch,
    batchShape,
    strideA: aBatch.length > 0 ? m * k : 0,
    strideB: bBatch.length > 0 ? k * n : 0,
    outShape: [...batchShape, m, n],
  };
}

/**
 * Records one product. With reduceBatch the result is [M, N], summed over the batches, either by
 * folding the batches into K (when both operands keep K outermost and contiguous) or in the kernel.
 */
interface LaunchOptions extends Omit<MatmulOptions, 'transA' | 'transB'> {
  /** 'gelu': the output is gelu(result), or with geluOut the output is the result and geluOut gets its GELU. */
  readonly epilogue?: 'gelu';
  readonly geluOut?: Tensor;
}

function launch(e: Engine, op: string, plan: ProductPlan, reduceBatch: boolean, opts: LaunchOptions): Tensor {
  const { a, b } = plan;
  let { m, k, batch, strideA } = plan;
  const outShape = reduceBatch ? [m, plan.n] : plan.outShape;
  const { out, bias } = opts;
  if (opts.accumulate && !out) throw new ShapeError(op, 'accumulate needs out');
  if (out) {
    expectShape(op, 'out', out, outShape);
    expectDType(op, 'out', out, 'f32');
    for (const [name, t] of [['a', a], ['b', b], ['bias', bias]] as const) {
      if (t && t.buffer === out.buffer) throw new ShapeError(op, `out ${shapeToString(out.shape)} shares its buffer with ${name}`);
    }
  }
  if (bias) {
    expectShape(op, 'bias', bias, [plan.n]);
    expectDType(op, 'bias', bias, 'f32');
  }
  if (opts.epilogue && (!bias || opts.accumulate || reduceBatch)) throw new ShapeError(op, 'the GELU epilogue needs a bias and takes no accumulate or batch reduction');
  if (opts.geluOut) expectShape(op, 'geluOut', opts.geluOut, outShape);
  let kernelReduces = reduceBatch && batch > 1;
  if (kernelReduces && plan.transA && !plan.transB && plan.strideA > 0 && plan.strideB > 0) {
    // Both operands are [batch, K, *] row-major: the batches are just more rows of K.
    k *= batch;
    batch = 1;
    kernelReduces = false;
  } else if (!reduceBatch && !plan.transA && plan.strideA > 0 && plan.strideB === 0) {
    // A shared B (a weight): the batches of A are just more rows of one [batch * M, K] matrix.
    m *= batch;
    batch = 1;
    strideA = 0;
  }
  const c = out ?? e.empty(outShape);
  const tiling = opts.tiling ?? tilingOverride.get(e) ?? autoTiling(m, plan.n, kernelReduces ? 1 : batch, isSoftwareAdapter(e.adapter));
  checkTiling(e, tiling);
  const tensors = bias ? [a, b, c, bias] : [a, b, c];
  if (opts.geluOut) tensors.push(opts.geluOut);
  const entry: Entry = opts.epilogue ? (opts.geluOut ? 'matmul_bias_gelu_keep' : 'matmul_bias_gelu') : bias ? 'matmul_bias' : 'matmul';
  // Quads run along A's rows unless transposed, along B's columns when transposed: see load_a / load_b.
  const spec = kernel({
    aType: a.dtype,
    bType: b.dtype,
    entryPoint: entry,
    vecA: vectorisable(a, plan.transA ? m : k, strideA),
    vecB: vectorisable(b, plan.transB ? k : plan.n, plan.strideB),
  });
  e.run(spec, {
    constants: {
      TM: tiling.tileM,
      TN: tiling.tileN,
      TK: tiling.tileK,
      RM: tiling.threadM,
      RN: tiling.threadN,
    },
    params: {
      m,
      n: plan.n,
      k,
      batch,
      strideA,
      strideB: plan.strideB,
      alpha: opts.alpha ?? 1,
      transA: Number(plan.transA),
      transB: Number(plan.transB),
      accumulate: Number(opts.accumulate ?? false),
      reduceBatch: Number(kernelReduces),
    },
    tensors,
    workgroups: [Math.ceil(plan.n / tiling.tileN), Math.ceil(m / tiling.tileM), kernelReduces ? 1 : batch],
    // In a profile, e.g. "matmul_bias 128x768x2304" or "matmul 12x[128x64x128] Bᵀ": batch x [M x K x N], transposes marked.
    ...(e.profiling && {
      label: `${spec.name} ${batch > 1 ? `${batch}x[` : ''}${m}x${k}x${plan.n}${batch > 1 ? ']' : ''}${plan.transA ? ' Aᵀ' : ''}${plan.transB ? ' Bᵀ' : ''}`,
    }),
  });
  return c;
}

/**
 * The largest tiling that still gives enough workgroups to keep the adapter busy (small products get
 * 'small' regardless); products of at most 8 rows get 'rows', which computes no padding rows, where
 * it still spreads over enough workgroups (always on a software adapter, where every padding row is
 * CPU time: the end-to-end step's [1, 768] x [768, 50257] LM head did 128 rows of work with 'wide').
 */
function autoTiling(m: number, n: number, batch: number, software: boolean): MatmulTiling {
  const { wide, large, small, rows } = MATMUL_TILINGS;
  const minTiles = software ? SOFTWARE_MIN_TILES : MIN_TILES;
  const tiles = (t: MatmulTiling) => Math.ceil(m / t.tileM) * Math.ceil(n / t.tileN) * batch;
  if (m <= rows.tileM && (software || tiles(rows) >= minTiles)) return rows;
  if (tiles(wide) >= minTiles) return wide;
  return tiles(large) >= minTiles ? large : small;
}

function checkTiling(e: Engine, t: MatmulTiling): void {
  const desc = `tiling ${JSON.stringify(t)}`;
  const values = [t.tileM, t.tileN, t.tileK, t.threadM, t.threadN];
  if (!values.every((v) => Number.isInteger(v) && v > 0)) throw new Error(`matmul: ${desc} needs positive integers`);
  if (t.tileM % t.threadM !== 0 || t.tileN % t.threadN !== 0) throw new Error(`matmul: ${desc}: tileM, tileN must be multiples of threadM, threadN`);
  // The tile loads go by quads of adjacent elements (shaders/matmul.wgsl).
  if (t.tileM % 4 !== 0 || t.tileN % 4 !== 0 || t.tileK % 4 !== 0) throw new Error(`matmul: ${desc}: tileM, tileN and tileK must be multiples of 4`);
  const invocations = (t.tileM / t.threadM) * (t.tileN / t.threadN);
  if (invocations > e.limits.maxComputeInvocationsPerWorkgroup) {
    throw new Error(`matmul: ${desc} needs ${invocations} invocations per workgroup, the adapter allows ${e.limits.maxComputeInvocationsPerWorkgroup}`);
  }
  const bytes = 4 * t.tileK * (t.tileM + t.tileN);
  const maxBytes = Math.min(MAX_WORKGROUP_BYTES, e.limits.maxComputeWorkgroupStorageSize);
  if (bytes > maxBytes) {
    throw new Error(`matmul: ${desc} needs ${bytes} bytes of workgroup memory, more than ${maxBytes}`);
  }
}

const kernels = new Map<string, KernelSpec>();

type Entry = 'matmul' | 'matmul_bias' | 'matmul_bias_gelu' | 'matmul_bias_gelu_keep';
const ENTRY_BINDINGS: Record<Entry, ('read' | 'write')[]> = {
  matmul: ['read', 'read', 'write'],
  matmul_bias: ['read', 'read', 'write', 'read'],
  matmul_bias_gelu: ['read', 'read', 'write', 'read'],
  matmul_bias_gelu_keep: ['read', 'read', 'write', 'read', 'write'],
};

interface KernelVariant {
  readonly aType: DType;
  readonly bType: DType;
  readonly entryPoint: Entry;
  /** Bind the operand as an array of 4-vectors (see `vectorisable`). */
  readonly vecA: boolean;
  readonly vecB: boolean;
}

/**
 * Whether an operand's quads can be single 4-vector loads: every quad must start on a multiple of 4
 * elements, so its rows (the contiguous dimension) and the stride between batches must be multiples
 * of 4, and the binding's offset a multiple of a vector (binding offsets are 256-byte aligned); a
 * binding of vectors must hold at least one.
 */
function vectorisable(t: Tensor, rowLength: number, batchStride: number): boolean {
  return t.size >= 4 && rowLength % 4 === 0 && batchStride % 4 === 0 && t.byteOffset % (4 * BYTES_PER_ELEMENT[t.dtype]) === 0;
}

function kernel(v: KernelVariant): KernelSpec {
  const key = `${v.aType}${v.bType}${v.entryPoint}${Number(v.vecA)}${Number(v.vecB)}`;
  let spec = kernels.get(key);
  if (!spec) {
    const half = v.aType === 'f16' || v.bType === 'f16';
    const vectors = `${v.vecA ? 'A' : ''}${v.vecB ? 'B' : ''}`;
    spec = defineKernel({
      name: [v.entryPoint, ...(half ? [v.aType, v.bType] : []), ...(vectors ? [`vec4${vectors}`] : [])].join('_'),
      source: specialisedSource(v),
      entryPoint: v.entryPoint,
      params: [
        ...['m:u32', 'n:u32', 'k:u32', 'batch:u32', 'strideA:u32', 'strideB:u32', 'alpha:f32'] as const,
        ...['transA:u32', 'transB:u32', 'accumulate:u32', 'reduceBatch:u32'] as const,
      ],
      bindings: ENTRY_BINDINGS[v.entryPoint],
    });
    kernels.set(key, spec);
  }
  return spec;
}

// The variants are derived from shaders/matmul.wgsl by text: f16 must be enabled at the top of the
// module, which adapters without shader-f16 reject, so the f32 shader stays free of it; and WGSL has
// no way to choose a binding's type at pipeline creation.
function specialisedSource(v: KernelVariant): string {
  let text = source;
  if (v.vecA) text = replaceOperandBlock(text, 'a', 1, 'AElement');
  if (v.vecB) text = replaceOperandBlock(text, 'b', 2, 'BElement');
  if (v.aType === 'f32' && v.bType === 'f32') return text;
  const typed = text.replace('alias AElement = f32;', `alias AElement = ${v.aType};`).replace('alias BElement = f32;', `alias BElement = ${v.bType};`);
  if (typed === text) throw new Error('matmul: shaders/matmul.wgsl no longer declares the AElement / BElement aliases');
  return `enable f16;\n${typed}`;
}

/** The operand's binding as 4-vectors: a quad is one load, an element one component of one. */
function replaceOperandBlock(text: string, name: 'a' | 'b', binding: number, element: string): string {
  const begin = `// operand ${name}: begin`;
  const end = `// operand ${name}: end`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`matmul: shaders/matmul.wgsl no longer marks operand ${name}'s access block`);
  const block = [
    `@group(0) @binding(${binding}) var<storage, read> ${name}: array<vec4<${element}>>;`,
    `fn quad_${name}(i: u32) -> vec4f { return vec4f(${name}[i / 4u]); }`,
    `fn elem_${name}(i: u32) -> f32 { return f32(${name}[i / 4u][i % 4u]); }`,
  ].join('\n');
  return `${text.slice(0, from)}${block}\n${text.slice(to + end.length)}`;
}
