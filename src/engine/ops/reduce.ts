import source from '../../../shaders/reduce.wgsl?raw';
import { shapeToString } from '../dtype';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { defineKernel, grid1d } from '../kernel';
import { expectDType, expectShape, type Tensor } from '../tensor';

const OPS = { sum: 0, max: 1, mean: 2 } as const;
// Short rows would leave most of a 256-wide workgroup idle; 64 still fills a SIMD unit or two.
const SHORT_ROW = 64;
// Rows per workgroup in the first column-sum stage: few enough that 4096 rows spread over 16
// workgroups per column block, many enough that the second stage has little left to add.
const ROWS_PER_CHUNK = 256;
const COL_X = 64;

const kernels = {
  rows: defineKernel({ name: 'reduce_rows', source, entryPoint: 'reduce_rows', params: ['rows:u32', 'n:u32', 'op:u32'], bindings: ['read', 'write'] }),
  columns: defineKernel({
    name: 'sum_columns',
    source,
    entryPoint: 'sum_columns',
    params: ['rows:u32', 'cols:u32', 'rowsPerChunk:u32'],
    bindings: ['read', 'write'],
  }),
};

function reduceRows(e: Engine, op: keyof typeof OPS, name: string, x: Tensor): Tensor {
  expectDType(name, 'x', x, 'f32');
  if (x.rank < 1) throw new ShapeError(name, `x has shape ${shapeToString(x.shape)}, expected at least 1 dimension`);
  const n = x.shape[x.rank - 1];
  if (n === 0 && op !== 'sum') throw new ShapeError(name, `x has shape ${shapeToString(x.shape)}: the ${op} of an empty row is undefined`);
  const y = e.empty(x.shape.slice(0, -1));
  if (n === 0) {
    e.clear(y);
    return y;
  }
  e.run(kernels.rows, {
    constants: { WG: n <= SHORT_ROW ? SHORT_ROW : 256 },
    params: { rows: y.size, n, op: OPS[op] },
    tensors: [x, y],
    workgroups: grid1d(y.size, 1, e.limits.maxComputeWorkgroupsPerDimension),
  });
  return y;
}

/** Sum over the last dimension: [..., N] -> [...]. */
export function sumRows(e: Engine, x: Tensor): Tensor {
  return reduceRows(e, 'sum', 'sumRows', x);
}

/** Maximum over the last dimension: [..., N] -> [...], N >= 1. */
export function maxRows(e: Engine, x: Tensor): Tensor {
  return reduceRows(e, 'max', 'maxRows', x);
}

/** Mean over the last dimension: [..., N] -> [...], N >= 1. */
export function meanRows(e: Engine, x: Tensor): Tensor {
  return reduceRows(e, 'mean', 'meanRows', x);
}

/**
 * Sum over the leading rows: [R, C] -> [C] (the bias gradient). Many rows go in two deterministic
 * stages, chunks of rows into partial sums and then the partials, instead of float atomics.
 */
export function sumColumns(e: Engine, x: Tensor): Tensor {
  expectShape('sumColumns', 'x', x, [-1, -1]);
  expectDType('sumColumns', 'x', x, 'f32');
  const [rows, cols] = x.shape;
  const y = e.empty([cols]);
  if (rows === 0) {
    e.clear(y);
    return y;
  }
  const chunks = Math.ceil(rows / ROWS_PER_CHUNK);
  if (chunks === 1) {
    columnStage(e, x, rows, cols, rows, y);
    return y;
  }
  const partial = e.empty([chunks, cols]);
  columnStage(e, x, rows, cols, ROWS_PER_CHUNK, partial);
  columnStage(e, partial, chunks, cols, chunks, y);
  partial.release();
  return y;
}

function columnStage(e: Engine, x: Tensor, rows: number, cols: number, rowsPerChunk: number, out: Tensor): void {
  e.run(kernels.columns, {
    params: { rows, cols, rowsPerChunk },
    tensors: [x, out],
    workgroups: [Math.ceil(cols / COL_X), Math.ceil(rows / rowsPerChunk)],
  });
}
