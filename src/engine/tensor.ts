import { BYTES_PER_ELEMENT, numElements, shapeToString, type DType, type Shape } from './dtype';
import { ShapeError } from './errors';

/** Where a tensor's buffer goes back when released. */
export interface BufferOwner {
  releaseBuffer(buffer: GPUBuffer): void;
}

/**
 * A GPU buffer (or a range of one, from `byteOffset`) with its shape and element type. Tensors made
 * by the engine own a pooled buffer; `release()` hands it back. Views made by `reshape` share the
 * buffer and never release it. Tensors of one `Engine.group` share a buffer at aligned offsets, so
 * that a kernel can treat all of them as one range (the optimizer's multi-tensor step).
 */
export class Tensor<D extends DType = DType> {
  readonly size: number;
  private released = false;

  constructor(
    readonly shape: Shape,
    readonly dtype: D,
    private readonly gpuBuffer: GPUBuffer,
    private readonly owner: BufferOwner | null,
    /** Where the tensor starts in `buffer`; a multiple of the adapter's storage offset alignment. */
    readonly byteOffset = 0,
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = numElements(shape);
  }

  get buffer(): GPUBuffer {
    if (this.released) throw new Error(`tensor ${shapeToString(this.shape)} ${this.dtype} was used after release()`);
    return this.gpuBuffer;
  }

  get byteLength(): number {
    return this.size * BYTES_PER_ELEMENT[this.dtype];
  }

  get rank(): number {
    return this.shape.length;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Same buffer, another shape with the same number of elements; the view does not own the buffer. */
  reshape(shape: Shape): Tensor<D> {
    if (numElements(shape) !== this.size) {
      throw new ShapeError('reshape', `cannot view ${shapeToString(this.shape)} (${this.size} elements) as ${shapeToString(shape)}`);
    }
    return new Tensor(shape, this.dtype, this.buffer, null, this.byteOffset);
  }

  release(): void {
    if (this.released || !this.owner) return;
    this.released = true;
    this.owner.releaseBuffer(this.gpuBuffer);
  }
}

/** Checks that a tensor has the given rank (and, where given, dimensions); -1 matches any size. */
export function expectShape(op: string, name: string, t: Tensor, dims: readonly number[]): void {
  const ok = t.rank === dims.length && dims.every((d, i) => d < 0 || d === t.shape[i]);
  if (!ok) {
    const want = `[${dims.map((d) => (d < 0 ? '*' : String(d))).join(', ')}]`;
    throw new ShapeError(op, `${name} has shape ${shapeToString(t.shape)}, expected ${want}`);
  }
}

export function expectDType(op: string, name: string, t: Tensor, dtype: DType): void {
  if (t.dtype !== dtype) throw new ShapeError(op, `${name} has dtype ${t.dtype}, expected ${dtype}`);
}
