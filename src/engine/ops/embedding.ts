import source from '../../../shaders/embedding.wgsl?raw';
import { shapeToString } from '../dtype';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { defineKernel, grid1d } from '../kernel';
import { expectDType, expectShape, type Tensor } from '../tensor';

const WG = 256;
const WG_SCATTER = 64;
/** Invocations the backward scatter aims for: enough to keep a GPU's cores busy at C = 768. */
const SCATTER_TARGET_INVOCATIONS = 16384;

const kernels = {
  embedding: defineKernel({ name: 'embedding_forward', source, entryPoint: 'embedding_forward', params: ['n:u32', 'C:u32', 'V:u32', 'first:i32', 'keep:u32', 'scale:f32'], bindings: ['read', 'read', 'write'] }),
  embeddingBackward: defineKernel({
    name: 'embedding_backward',
    source,
    entryPoint: 'embedding_backward',
    params: ['N:u32', 'C:u32', 'V:u32', 'block:u32', 'scale:f32', 'first:i32'],
    bindings: ['read', 'read', 'write'],
  }),
};

export interface EmbeddingScaleOption {
  /**
   * Multiplies the gathered rows (and, in the backward, their gradients): Gemma's embedding scaling,
   * sqrt(hidden_size) rounded to the embedding dtype as HF does (`embed_scale.to(weight.dtype)`, so
   * Math.fround(Math.sqrt(H)) for f32 weights). 1 by default, which copies rows exactly.
   */
  readonly scale?: number;
}

function scaleOf(op: string, opts: EmbeddingScaleOption): number {
  const scale = opts.scale ?? 1;
  if (!Number.isFinite(scale)) throw new Error(`${op}: scale = ${opts.scale}, expected a finite number`);
  return scale;
}

export interface EmbeddingBackwardOptions extends EmbeddingScaleOption {
  /** Where dTable goes ([V, C]); by default a new tensor. */
  readonly out?: Tensor;
  /** Add into `out` instead of overwriting it (tied input/output embeddings share one gradient). */
  readonly accumulate?: boolean;
  /**
   * The vocabulary id of the table's first row, as for `embedding`: the gradient of one chunk of a
   * split vocabulary (`vocabSize` its rows), taking the ids in [firstRow, firstRow + vocabSize) only.
   */
  readonly firstRow?: number;
}

export interface EmbeddingOptions extends EmbeddingScaleOption {
  /** The vocabulary id of the table's first row: the table is the chunk [firstRow, firstRow + V) of a split vocabulary. */
  readonly firstRow?: number;
  /** Written in place ([...ids.shape, C]); rows whose id the table does not hold are left as they are. */
  readonly out?: Tensor;
}

/**
 * Gathers rows: table[V, C], ids (i32, any shape) -> [...ids.shape, C]. Token and position
 * embeddings, and the LM-head rows of label words. An id outside [0, V) gives a zero row; callers
 * validate ids on the CPU before upload, so this only keeps a bad id from reading out of bounds.
 * With `firstRow` and `out`, one chunk of a vocabulary split over several buffers fills its rows of
 * `out` (see src/model/vocabulary-table.ts).
 */
export function embedding(e: Engine, table: Tensor, ids: Tensor, opts: EmbeddingOptions = {}): Tensor {
  expectDType('embedding', 'table', table, 'f32');
  expectShape('embedding', 'table', table, [-1, -1]);
  expectDType('embedding', 'ids', ids, 'i32');
  const [V, C] = table.shape;
  const first = opts.firstRow ?? 0;
  if (!Number.isInteger(first) || first < 0 || first > 2 ** 31 - 1) throw new Error(`embedding: firstRow = ${first}, expected a non-negative 32-bit integer`);
  let y: Tensor;
  if (opts.out) {
    y = opts.out;
    expectDType('embedding', 'opts.out', y, 'f32');
    expectShape('embedding', 'opts.out', y, [...ids.shape, C]);
  } else {
    y = e.empty([...ids.shape, C]);
  }
  const scale = scaleOf('embedding', opts);
  e.run(kernels.embedding, { params: { n: y.size, C, V, first, keep: Number(opts.out !== undefined), scale }, tensors: [table, ids, y], workgroups: grid1d(y.size, WG) });
  return y;
}

/**
 * dTable[v, :] = sum of scale * dy[t, :] over the tokens t with ids[t] = v, summed in token order, so the
 * result is bit-identical from run to run; gradients of out-of-range ids are dropped. dy is [N, C]
 * or [...ids.shape, C]. See shaders/embedding.wgsl for the cost (O(N) serial adds per column).
 */
export function embeddingBackward(e: Engine, ids: Tensor, dy: Tensor, vocabSize: number, opts: EmbeddingBackwardOptions = {}): Tensor {
  const op = 'embeddingBackward';
  expectDType(op, 'ids', ids, 'i32');
  expectDType(op, 'dy', dy, 'f32');
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new Error(`${op}: vocabSize = ${vocabSize}, expected a positive integer`);
  const C = dy.rank >= 1 ? dy.shape[dy.rank - 1] : 0;
  if (dy.rank < 1 || dy.size !== ids.size * C) {
    throw new ShapeError(op, `dy has shape ${shapeToString(dy.shape)}, expected [${ids.size}, C] for ids of shape ${shapeToString(ids.shape)}`);
  }
  const V = vocabSize;
  const first = opts.firstRow ?? 0;
  if (!Number.isInteger(first) || first < 0 || first > 2 ** 31 - 1) throw new Error(`${op}: firstRow = ${first}, expected a non-negative 32-bit integer`);
  if (opts.accumulate && !opts.out) throw new Error(`${op}: accumulate needs opts.out, the gradient to add into`);
  let out: Tensor;
  if (opts.out) {
    out = opts.out;
    expectDType(op, 'opts.out', out, 'f32');
    expectShape(op, 'opts.out', out, [V, C]);
    if (!opts.accumulate) e.clear(out);
  } else {
    out = e.zeros([V, C]);
  }
  const columnGroups = Math.ceil(C / WG_SCATTER);
  const wanted = Math.ceil(SCATTER_TARGET_INVOCATIONS / (columnGroups * WG_SCATTER));
  const block = Math.ceil(V / Math.min(V, wanted));
  e.run(kernels.embeddingBackward, {
    params: { N: ids.size, C, V, block, scale: scaleOf(op, opts), first },
    tensors: [ids, dy, out],
    workgroups: [columnGroups, Math.ceil(V / block)],
  });
  return out;
}
