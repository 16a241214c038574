/**
 * Tensors packed side by side into shared buffers, each at an offset aligned for binding, so that
 * an elementwise kernel can run once over the whole range instead of once per tensor (the
 * optimizer's multi-tensor step over all trainable weights, their gradients and Adam's moments).
 * The padding between tensors is zeroed once and never written, so it reads as zeros to such a
 * kernel: zero gradient, zero moments, zero weight, and an Adam or SGD step keeps it zero.
 */
import { BYTES_PER_ELEMENT, numElements, type DType, type Shape } from './dtype';
import { Tensor, type BufferOwner } from './tensor';

function alignTo(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

export interface GroupSlot {
  /** Which of the group's buffers. */
  readonly buffer: number;
  readonly byteOffset: number;
}

export interface GroupLayout {
  readonly slots: readonly GroupSlot[];
  /** Bytes of each buffer. */
  readonly bufferBytes: readonly number[];
}

/**
 * Places tensors of `shapes` in order at `alignment`-byte offsets, starting a new buffer where the
 * next one would pass `maxBufferBytes` (a binding larger than the adapter allows could not be bound).
 */
export function groupLayout(shapes: readonly Shape[], dtype: DType, alignment: number, maxBufferBytes: number): GroupLayout {
  const slots: GroupSlot[] = [];
  const bufferBytes: number[] = [];
  let offset = 0;
  for (const shape of shapes) {
    const bytes = alignTo(numElements(shape) * BYTES_PER_ELEMENT[dtype], 4);
    let start = alignTo(offset, alignment);
    if (bufferBytes.length === 0 || (start > 0 && start + bytes > maxBufferBytes)) {
      bufferBytes.push(0);
      start = 0;
    }
    slots.push({ buffer: bufferBytes.length - 1, byteOffset: start });
    offset = start + bytes;
    bufferBytes[bufferBytes.length - 1] = Math.max(4, offset);
  }
  return { slots, bufferBytes };
}

/** Hands a shared buffer back to its owner once every tensor placed in it has been released. */
export class SharedBufferOwner implements BufferOwner {
  constructor(
    private readonly owner: BufferOwner,
    private users: number,
  ) {}

  releaseBuffer(buffer: GPUBuffer): void {
    this.users--;
    if (this.users === 0) this.owner.releaseBuffer(buffer);
  }
}

/** The group's tensors over already created buffers (one per `layout.bufferBytes`). */
export function groupTensors<D extends DType>(shapes: readonly Shape[], dtype: D, layout: GroupLayout, buffers: readonly GPUBuffer[], owner: BufferOwner): Tensor<D>[] {
  const owners = buffers.map((_, b) => new SharedBufferOwner(owner, layout.slots.filter((s) => s.buffer === b).length));
  return shapes.map((shape, i) => {
    const slot = layout.slots[i];
    return new Tensor(shape, dtype, buffers[slot.buffer], owners[slot.buffer], slot.byteOffset);
  });
}

/**
 * Splits `tensors` into runs that lie back to back in one buffer (each starting at the aligned end
 * of the one before, as `groupLayout` places them), and gives each run as one flat f32 view over
 * its whole range, padding included. Tensors not packed together come out as runs of one.
 */
export interface TensorRun {
  /** Index in `tensors` of the run's first tensor. */
  readonly first: number;
  readonly count: number;
  /** [elements] over the run's bytes; does not own the buffer. */
  readonly range: Tensor;
}

export function contiguousRuns(tensors: readonly Tensor[], alignment: number): TensorRun[] {
  const runs: TensorRun[] = [];
  let first = 0;
  for (let i = 1; i <= tensors.length; i++) {
    const prev = tensors[i - 1];
    const next = tensors[i];
    const adjacent = next !== undefined && next.buffer === prev.buffer && next.dtype === prev.dtype && next.byteOffset === alignTo(prev.byteOffset + alignTo(prev.byteLength, 4), alignment);
    if (adjacent) continue;
    runs.push({ first, count: i - first, range: rangeOf(tensors.slice(first, i)) });
    first = i;
  }
  return runs;
}

function rangeOf(run: readonly Tensor[]): Tensor {
  const head = run[0];
  const tail = run[run.length - 1];
  if (run.length === 1) return head.reshape([head.size]);
  const bytes = tail.byteOffset + tail.byteLength - head.byteOffset;
  return new Tensor([bytes / BYTES_PER_ELEMENT[head.dtype]], head.dtype, head.buffer, null, head.byteOffset);
}
