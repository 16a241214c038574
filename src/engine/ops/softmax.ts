import source from '../../../shaders/softmax.wgsl?raw';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { defineKernel, grid1d } from '../kernel';
import { expectDType, type Tensor } from '../tensor';

const MAX_WG = 256;
// A warp/subgroup on common GPUs; narrower workgroups would only add dispatch overhead.
const MIN_WG = 32;

const kernels = {
  forward: defineKernel({
    name: 'softmax_forward',
    source,
    entryPoint: 'softmax_forward',
    params: ['rows:u32', 'cols:u32'],
    bindings: ['read', 'write'],
  }),
  backward: defineKernel({
    name: 'softmax_backward',
    source,
    entryPoint: 'softmax_backward',
    params: ['rows:u32', 'cols:u32'],
    bindings: ['read', 'read', 'write'],
  }),
};

/**
 * Threads per row for the one-workgroup-per-row kernels: the power of two that covers a short row
 * (attention over a few tokens, a handful of label words) without idle lanes, capped for long rows.
 */
export function rowWorkgroupSize(cols: number): number {
  return Math.min(MAX_WG, Math.max(MIN_WG, 2 ** Math.ceil(Math.log2(Math.max(cols, 1)))));
}

function rowsAndCols(op: string, name: string, x: Tensor): { rows: number; cols: number } {
  expectDType(op, name, x, 'f32');
  const cols = x.shape[x.rank - 1];
  if (x.rank === 0 || cols === 0) throw new ShapeError(op, `${name} has shape [${x.shape}], expected [..., N] with N >= 1`);
  return { rows: x.size / cols, cols };
}

function launch(e: Engine, kernel: (typeof kernels)[keyof typeof kernels], rows: number, cols: number, tensors: Tensor[]): void {
  e.run(kernel, { constants: { WG: rowWorkgroupSize(cols) }, params: { rows, cols }, tensors, workgroups: grid1d(rows, 1) });
}

/** Softmax over the last dimension of `x` [..., N], with max subtraction so any finite logits work. */
export function softmax(e: Engine, x: Tensor): Tensor {
  const { rows, cols } = rowsAndCols('softmax', 'x', x);
  const y = e.empty(x.shape);
  launch(e, kernels.forward, rows, cols, [x, y]);
  return y;
}

/** dx = y * (dy - sum(y * dy)) per row, from the forward output `y` rather than its input. */
export function softmaxBackward(e: Engine, y: Tensor, dy: Tensor): Tensor {
  const { rows, cols } = rowsAndCols('softmaxBackward', 'y', y);
  expectDType('softmaxBackward', 'dy', dy, 'f32');
  if (dy.shape.join() !== y.shape.join()) throw new ShapeError('softmaxBackward', `dy has shape [${dy.shape}], expected y's shape [${y.shape}]`);
  const dx = e.empty(y.shape);
  launch(e, kernels.backward, rows, cols, [y, dy, dx]);
  return dx;
}
