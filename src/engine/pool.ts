import { GpuOutOfMemoryError } from './errors';

/**
 * Reuses GPU buffers across ops so that a training step allocates nothing once it has run once.
 * Buffers are bucketed by rounded size (powers of two and 1.5x powers of two, so at most 33% waste)
 * and by usage; the pool counts bytes held on the GPU now and at peak.
 */
export interface PoolStats {
  /** Bytes of all live GPU buffers the pool created, in use or free. */
  readonly allocatedBytes: number;
  readonly peakAllocatedBytes: number;
  /** Bytes of buffers handed out and not yet released. */
  readonly inUseBytes: number;
  readonly peakInUseBytes: number;
  /** How many GPU buffers were ever created; steady state means this stops growing. */
  readonly buffersCreated: number;
}

const MIN_BUCKET = 256;

export function bucketSize(bytes: number): number {
  if (bytes <= MIN_BUCKET) return MIN_BUCKET;
  const pow = 2 ** Math.ceil(Math.log2(bytes));
  const threeQuarters = (pow / 4) * 3;
  return bytes <= threeQuarters ? threeQuarters : pow;
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly sizeOf = new Map<GPUBuffer, number>();
  private allocated = 0;
  private peakAllocated = 0;
  private inUse = 0;
  private peakInUse = 0;
  private created = 0;

  /**
   * `onAllocationChecked` receives, for every buffer created, the promise of its out-of-memory check:
   * WebGPU reports a failed allocation asynchronously, so the engine settles these with its other
   * error scopes and throws the first failure at its next sync.
   */
  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
    private readonly onAllocationChecked: (check: Promise<GpuOutOfMemoryError | null>) => void = () => {},
  ) {}

  /**
   * A buffer of `bytes` rounded to its bucket, reused from the free list when one is there. With
   * `exact`, the size is only rounded to 4 bytes: for long-lived tensors such as weights, where the
   * bucket's up to 33% of slack would be wasted for good.
   */
  acquire(bytes: number, usage: GPUBufferUsageFlags, label?: string, exact = false): GPUBuffer {
    if (bytes > this.maxBufferSize) {
      throw new Error(
        `A GPU buffer of ${formatBytes(bytes)} was requested, but this adapter allows at most ${formatBytes(this.maxBufferSize)} per buffer. Use a smaller model, batch or sequence length.`,
      );
    }
    const size = exact ? Math.ceil(Math.max(bytes, 4) / 4) * 4 : Math.min(bucketSize(Math.max(bytes, 4)), this.maxBufferSize);
    const buffer = this.free.get(key(size, usage))?.pop() ?? this.create(size, usage, label);
    this.inUse += size;
    this.peakInUse = Math.max(this.peakInUse, this.inUse);
    return buffer;
  }

  private create(size: number, usage: GPUBufferUsageFlags, label?: string): GPUBuffer {
    this.device.pushErrorScope('out-of-memory');
    const buffer = this.device.createBuffer({ size, usage, label });
    const held = this.allocated;
    this.onAllocationChecked(
      this.device
        .popErrorScope()
        .then((error) => (error ? new GpuOutOfMemoryError(`a buffer of ${formatBytes(size)}${label ? ` (${label})` : ''} could not be allocated, with ${formatBytes(held)} already held by this app (${error.message.replace(/\.$/, '')})`) : null)),
    );
    this.sizeOf.set(buffer, size);
    this.allocated += size;
    this.peakAllocated = Math.max(this.peakAllocated, this.allocated);
    this.created++;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const size = this.sizeOf.get(buffer);
    if (size === undefined) throw new Error('BufferPool.release: buffer was not acquired from this pool');
    this.inUse -= size;
    const k = key(size, buffer.usage);
    const list = this.free.get(k);
    if (list) list.push(buffer);
    else this.free.set(k, [buffer]);
  }

  /** Gives every free buffer back to the driver (after loading a model, or when memory is tight). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        this.allocated -= this.sizeOf.get(b) ?? 0;
        this.sizeOf.delete(b);
        b.destroy();
      }
    }
    this.free.clear();
  }

  resetPeaks(): void {
    this.peakAllocated = this.allocated;
    this.peakInUse = this.inUse;
  }

  stats(): PoolStats {
    return {
      allocatedBytes: this.allocated,
      peakAllocatedBytes: this.peakAllocated,
      inUseBytes: this.inUse,
      peakInUseBytes: this.peakInUse,
      buffersCreated: this.created,
    };
  }
}

function key(size: number, usage: GPUBufferUsageFlags): string {
  return `${size}:${usage}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
