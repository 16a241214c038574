/** Time of one kernel, summed over its launches while profiling. */
export interface KernelTiming {
  readonly name: string;
  readonly launches: number;
  /** GPU time from timestamp queries; NaN when the adapter has no timestamp-query. */
  readonly totalMs: number;
}

const PASSES_PER_SUBMIT = 1024;

/**
 * Puts each launch in its own compute pass with begin/end timestamps, resolves them at every
 * submit and sums them per kernel name. Without timestamp-query it only counts launches.
 */
export class Profiler {
  private readonly querySet: GPUQuerySet | null;
  private labels: string[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly totals = new Map<string, { launches: number; ns: number }>();
  private pendingReadback: { labels: string[]; resolved: GPUBuffer; readback: GPUBuffer } | null = null;

  constructor(
    private readonly device: GPUDevice,
    useTimestamps: boolean,
  ) {
    this.querySet = useTimestamps ? device.createQuerySet({ type: 'timestamp', count: PASSES_PER_SUBMIT * 2 }) : null;
  }

  get full(): boolean {
    return this.labels.length >= PASSES_PER_SUBMIT;
  }

  nextPass(label: string): GPUComputePassTimestampWrites | undefined {
    const i = this.labels.length;
    this.labels.push(label);
    if (!this.querySet) return undefined;
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  resolve(encoder: GPUCommandEncoder): void {
    const labels = this.labels;
    this.labels = [];
    if (labels.length === 0) return;
    if (!this.querySet) {
      for (const l of labels) this.add(l, 0);
      return;
    }
    const bytes = labels.length * 16;
    const resolved = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const readback = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.resolveQuerySet(this.querySet, 0, labels.length * 2, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, readback, 0, bytes);
    this.pendingReadback = { labels, resolved, readback };
  }

  afterSubmit(): void {
    const r = this.pendingReadback;
    this.pendingReadback = null;
    if (!r) return;
    this.pending.push(
      r.readback.mapAsync(GPUMapMode.READ).then(() => {
        const stamps = new BigInt64Array(r.readback.getMappedRange());
        r.labels.forEach((label, i) => this.add(label, Number(stamps[2 * i + 1] - stamps[2 * i])));
        r.readback.unmap();
        r.readback.destroy();
        r.resolved.destroy();
      }),
    );
  }

  async results(): Promise<KernelTiming[]> {
    await Promise.all(this.pending);
    this.querySet?.destroy();
    return [...this.totals.entries()]
      .map(([name, t]) => ({ name, launches: t.launches, totalMs: this.querySet ? t.ns / 1e6 : NaN }))
      .sort((a, b) => b.totalMs - a.totalMs);
  }

  private add(label: string, ns: number): void {
    const t = this.totals.get(label) ?? { launches: 0, ns: 0 };
    t.launches++;
    t.ns += ns;
    this.totals.set(label, t);
  }
}
