import source from '../../../shaders/columns.wgsl?raw';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { defineKernel, grid1d } from '../kernel';
import { expectDType, expectShape, type Tensor } from '../tensor';

const WG = 256;

const kernel = defineKernel({
  name: 'copy_columns',
  source,
  entryPoint: 'copy_columns',
  params: ['rows:u32', 'width:u32', 'srcCols:u32', 'srcFirst:u32', 'dstCols:u32', 'dstFirst:u32'],
  bindings: ['read', 'write'],
});

export interface ColumnBlock {
  /** First column read in src. */
  readonly srcFirst: number;
  /** First column written in dst. */
  readonly dstFirst: number;
  readonly width: number;
}

/**
 * dst[:, dstFirst + c] = src[:, srcFirst + c] for c < width; both [rows, *] f32, the other columns of
 * dst untouched. Logits of a vocabulary split into chunks are joined (and their gradient cut) with it.
 */
export function copyColumns(e: Engine, src: Tensor, dst: Tensor, block: ColumnBlock): void {
  const op = 'copyColumns';
  expectDType(op, 'src', src, 'f32');
  expectDType(op, 'dst', dst, 'f32');
  expectShape(op, 'src', src, [-1, -1]);
  expectShape(op, 'dst', dst, [src.shape[0], -1]);
  if (src.buffer === dst.buffer) throw new ShapeError(op, 'src and dst share a buffer');
  const { srcFirst, dstFirst, width } = block;
  for (const [name, v] of Object.entries(block)) {
    if (!Number.isInteger(v) || v < 0) throw new ShapeError(op, `${name} = ${v}, expected a non-negative integer`);
  }
  const [rows, srcCols] = src.shape;
  const dstCols = dst.shape[1];
  if (srcFirst + width > srcCols) throw new ShapeError(op, `columns [${srcFirst}, ${srcFirst + width}) are beyond src's ${srcCols}`);
  if (dstFirst + width > dstCols) throw new ShapeError(op, `columns [${dstFirst}, ${dstFirst + width}) are beyond dst's ${dstCols}`);
  e.run(kernel, {
    params: { rows, width, srcCols, srcFirst, dstCols, dstFirst },
    tensors: [src, dst],
    workgroups: grid1d(rows * width, WG),
  });
}
