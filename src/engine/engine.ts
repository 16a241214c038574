import { acquireDevice, adapterName, type AdapterDescription, type GpuFeatures } from './device';
import { BYTES_PER_ELEMENT, fromHalfBits, numElements, shapeToString, toHalfBits, type DType, type HostArray, type Shape } from './dtype';
import { GpuDeviceLostError, GpuOutOfMemoryError } from './errors';
import { parseParams, specialize, type ConstantValue, type KernelSpec } from './kernel';
import { BufferPool, type PoolStats } from './pool';
import { Profiler, type KernelTiming } from './profiler';
import { groupLayout, groupTensors } from './tensor-group';
import { Tensor, type BufferOwner } from './tensor';

export interface EngineOptions {
  readonly powerPreference?: GPUPowerPreference;
  /** Called once if the device is lost for any reason other than `destroy()`. */
  readonly onDeviceLost?: (error: GpuDeviceLostError) => void;
}

export interface TensorOptions {
  /** Lives as long as the model (weights, optimizer state): allocated at its exact size, not a pool bucket. */
  readonly persistent?: boolean;
}

/** One kernel launch: its specialization, uniform values, bound tensors and grid. */
export interface KernelCall {
  readonly constants?: Readonly<Record<string, ConstantValue>>;
  readonly params?: Readonly<Record<string, number>>;
  readonly tensors: readonly Tensor[];
  readonly workgroups: readonly [number, number?, number?];
  /** The launch's name in a profile (e.g. the kernel with its shape); the kernel's name by default. */
  readonly label?: string;
}

interface CompiledKernel {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly paramFields: { name: string; type: 'u32' | 'i32' | 'f32' }[];
}

// Spelled as numbers because in Node the GPU* globals exist only once Dawn is loaded, after this module.
const TENSOR_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */
const UNIFORM_ARENA_BYTES = 256 * 1024;

export interface EngineActivity {
  readonly submits: number;
  readonly hostWaits: number;
}

/**
 * Owns a WebGPU device and records kernel launches into one command encoder per flush, so a
 * training step costs a few submits and no readbacks. Buffers come from a pool; uniform parameters
 * of all launches of a flush share one arena buffer written once before the submit.
 */
export class Engine implements BufferOwner {
  private readonly pool: BufferPool;
  private readonly kernels = new Map<string, CompiledKernel>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly arena: GPUBuffer;
  private readonly arenaHost = new ArrayBuffer(UNIFORM_ARENA_BYTES);
  private arenaUsed = 0;
  private readonly uniformAlign: number;
  private lostError: GpuDeviceLostError | null = null;
  private readonly gpuErrors: string[] = [];
  /** Compile results not yet known; awaited before reporting, so a shader error is named, not just "invalid pipeline". */
  private pendingErrorScopes: Promise<void>[] = [];
  private outOfMemory: GpuOutOfMemoryError | null = null;
  private profiler: Profiler | null = null;
  private readonly counts = { submits: 0, hostWaits: 0 };
  private destroyed = false;
  private readonly maxBufferBytes: number;
  /** Lists that every tensor `empty` makes is added to, innermost last (`trackTensors`). */
  private readonly trackers: Tensor[][] = [];

  private constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterDescription,
    readonly features: GpuFeatures,
    options: EngineOptions,
  ) {
    const maxBuffer = Math.floor(Math.min(device.limits.maxBufferSize, device.limits.maxStorageBufferBindingSize) / 256) * 256;
    this.maxBufferBytes = maxBuffer;
    this.pool = new BufferPool(device, maxBuffer, (check) =>
      this.pendingErrorScopes.push(
        check.then((error) => {
          this.outOfMemory ??= error;
        }),
      ),
    );
    this.uniformAlign = device.limits.minUniformBufferOffsetAlignment;
    this.arena = device.createBuffer({ size: UNIFORM_ARENA_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'uniform arena' });
    device.lost.then((info) => {
      if (this.destroyed) return;
      this.lostError = new GpuDeviceLostError(info.reason ?? 'unknown', info.message);
      options.onDeviceLost?.(this.lostError);
    });
    device.addEventListener('uncapturederror', (ev) => {
      this.gpuErrors.push((ev as GPUUncapturedErrorEvent).error.message);
    });
  }

  static async create(gpu: GPU | undefined, options: EngineOptions = {}): Promise<Engine> {
    const acquired = await acquireDevice(gpu, options.powerPreference);
    return new Engine(acquired.device, acquired.adapter, acquired.features, options);
  }

  get adapterName(): string {
    return adapterName(this.adapter);
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /**
   * A new tensor with undefined contents. `persistent` tensors (weights, optimizer state) get a
   * buffer of their exact size instead of a pooled bucket.
   */
  empty<D extends DType = 'f32'>(shape: Shape, dtype: D = 'f32' as D, opts: TensorOptions = {}): Tensor<D> {
    this.check();
    const bytes = numElements(shape) * BYTES_PER_ELEMENT[dtype];
    if (dtype === 'f16' && !this.features.shaderF16) throw new Error('f16 tensors need the shader-f16 feature, which this adapter lacks; use f32');
    const buffer = this.pool.acquire(Math.max(4, alignTo(bytes, 4)), TENSOR_USAGE, `${dtype}${shapeToString(shape)}`, opts.persistent);
    const t = new Tensor(shape, dtype, buffer, this);
    this.trackers.at(-1)?.push(t);
    return t;
  }

  /**
   * Runs `fn`, adding every tensor `empty` (and so every op and upload) makes meanwhile to `into`:
   * the model's `scope` (src/model/scope.ts) frees a block's activations by it. Nested calls add to
   * the innermost list only.
   */
  trackTensors<R>(into: Tensor[], fn: () => R): R {
    this.trackers.push(into);
    try {
      return fn();
    } finally {
      this.trackers.pop();
    }
  }

  /**
   * Persistent zeroed tensors of `shapes` packed side by side into as few buffers as the adapter's
   * binding size allows (`tensor-group.ts`): `contiguousRuns` finds them again as one range each, so
   * an elementwise kernel runs once over all of them. Each buffer goes back to the pool when all of
   * its tensors have been released.
   */
  zerosGroup<D extends DType = 'f32'>(shapes: readonly Shape[], dtype: D = 'f32' as D): Tensor<D>[] {
    this.check();
    if (dtype === 'f16' && !this.features.shaderF16) throw new Error('f16 tensors need the shader-f16 feature, which this adapter lacks; use f32');
    if (shapes.length === 0) return [];
    const layout = groupLayout(shapes, dtype, this.storageAlignment, this.maxBufferBytes);
    const buffers = layout.bufferBytes.map((bytes, b) => this.pool.acquire(bytes, TENSOR_USAGE, `${dtype} group ${b}`, true));
    this.endPass();
    // The whole buffer, padding included: kernels over a run read the padding as zeros.
    buffers.forEach((buffer, b) => this.commandEncoder().clearBuffer(buffer, 0, alignTo(layout.bufferBytes[b], 4)));
    return groupTensors(shapes, dtype, layout, buffers, this);
  }

  /** Offset alignment of storage bindings: where tensors packed by `zerosGroup` start. */
  get storageAlignment(): number {
    return this.device.limits.minStorageBufferOffsetAlignment;
  }

  zeros<D extends DType = 'f32'>(shape: Shape, dtype: D = 'f32' as D, opts: TensorOptions = {}): Tensor<D> {
    const t = this.empty(shape, dtype, opts);
    this.clear(t);
    return t;
  }

  /** Sets a tensor to zero, in order with the launches recorded before and after. */
  clear(t: Tensor): void {
    this.endPass();
    this.commandEncoder().clearBuffer(t.buffer, t.byteOffset, alignTo(t.byteLength, 4));
  }

  upload<D extends DType = 'f32'>(data: ArrayLike<number>, shape: Shape, dtype: D = 'f32' as D, opts: TensorOptions = {}): Tensor<D> {
    const t = this.empty(shape, dtype, opts);
    this.write(t, data);
    return t;
  }

  write(t: Tensor, data: ArrayLike<number>): void {
    this.check();
    if (data.length !== t.size) throw new Error(`write: ${data.length} values given for a tensor of ${t.size} elements ${shapeToString(t.shape)}`);
    // Queue writes run before any unsubmitted launch, so earlier launches are submitted first.
    this.flush();
    const bytes = toBytes(data, t.dtype);
    this.device.queue.writeBuffer(t.buffer, t.byteOffset, bytes);
  }

  async read<D extends DType>(t: Tensor<D>): Promise<HostArray<D>> {
    return (await this.readAll([t]))[0];
  }

  /**
   * Reads several tensors with one copy into one staging buffer and one wait, so a step that reports
   * several results waits for the GPU once, at its end.
   */
  async readAll<D extends DType>(ts: readonly Tensor<D>[]): Promise<HostArray<D>[]> {
    this.check();
    // Copy offsets and sizes must be multiples of 4 bytes.
    const offsets: number[] = [];
    let total = 0;
    for (const t of ts) {
      offsets.push(total);
      total += alignTo(t.byteLength, 4);
    }
    const bytes = Math.max(total, 4);
    const staging = this.pool.acquire(bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'readback');
    this.endPass();
    ts.forEach((t, i) => this.commandEncoder().copyBufferToBuffer(t.buffer, t.byteOffset, staging, offsets[i], alignTo(t.byteLength, 4)));
    this.flush();
    this.counts.hostWaits++;
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
      const copy = staging.getMappedRange(0, bytes).slice(0);
      staging.unmap();
      await this.settleErrorScopes();
      return ts.map((t, i) => fromBytes(copy.slice(offsets[i], offsets[i] + alignTo(t.byteLength, 4)), t.dtype, t.size) as HostArray<D>);
    } finally {
      this.pool.release(staging);
    }
  }

  /** Copies `src` into `dst` (same byte length), in order with recorded launches. */
  copy(src: Tensor, dst: Tensor): void {
    if (src.byteLength !== dst.byteLength) throw new Error(`copy: ${src.byteLength} bytes into ${dst.byteLength}`);
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src.buffer, src.byteOffset, dst.buffer, dst.byteOffset, alignTo(src.byteLength, 4));
  }

  run(spec: KernelSpec, call: KernelCall): void {
    this.check();
    const [x, y = 1, z = 1] = call.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const maxGroups = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxGroups || y > maxGroups || z > maxGroups) {
      throw new Error(`kernel ${spec.name}: grid [${x}, ${y}, ${z}] exceeds the adapter's ${maxGroups} workgroups per dimension`);
    }
    if (call.tensors.length !== spec.bindings.length) {
      throw new Error(`kernel ${spec.name}: ${call.tensors.length} tensors given, ${spec.bindings.length} bindings declared`);
    }
    const kernel = this.compile(spec, call.constants ?? {});
    // Make room first: a flush after the uniforms are written would let the next launch overwrite them.
    const paramBytes = alignTo(kernel.paramFields.length * 4, 16);
    if (this.arenaUsed + paramBytes > UNIFORM_ARENA_BYTES || this.profiler?.full) this.flush();
    const entries: GPUBindGroupEntry[] = call.tensors.map((t, i) => ({
      binding: i + 1,
      resource: { buffer: t.buffer, offset: t.byteOffset, size: Math.max(4, alignTo(t.byteLength, 4)) },
    }));
    if (kernel.paramFields.length > 0) entries.push({ binding: 0, resource: this.writeParams(spec, kernel, call.params ?? {}) });
    const bindGroup = this.device.createBindGroup({ layout: kernel.layout, entries, label: spec.name });
    const pass = this.computePass(call.label ?? spec.name);
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiler) this.endPass();
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaHost, 0, this.arenaUsed);
    this.profiler?.resolve(this.encoder);
    this.device.queue.submit([this.encoder.finish()]);
    this.counts.submits++;
    this.profiler?.afterSubmit();
    this.encoder = null;
    this.arenaUsed = 0;
  }

  /** Submits and waits until the GPU has finished; throws if any launch failed validation. */
  async sync(): Promise<void> {
    this.flush();
    this.counts.hostWaits++;
    await this.device.queue.onSubmittedWorkDone();
    await this.settleErrorScopes();
  }

  private async settleErrorScopes(): Promise<void> {
    const pending = this.pendingErrorScopes;
    this.pendingErrorScopes = [];
    await Promise.all(pending);
    this.check();
  }

  /** Whether launches are being profiled: ops then name them with their shapes (KernelCall.label). */
  get profiling(): boolean {
    return this.profiler !== null;
  }

  /** Times every launch until `stopProfiling` (GPU timestamps where the adapter has them). */
  startProfiling(): void {
    this.flush();
    this.profiler = new Profiler(this.device, this.features.timestampQuery);
  }

  async stopProfiling(): Promise<KernelTiming[]> {
    const profiler = this.profiler;
    if (!profiler) throw new Error('stopProfiling: profiling was not started');
    await this.sync();
    this.profiler = null;
    return profiler.results();
  }

  /**
   * Command buffers submitted and times the host waited for the GPU (readbacks and syncs) so far:
   * a step that keeps the GPU busy submits a few times and waits once, at its end.
   */
  activity(): EngineActivity {
    return { ...this.counts };
  }

  memory(): PoolStats {
    return this.pool.stats();
  }

  /** Starts a new peak measurement from the bytes allocated now. */
  resetPeakMemory(): void {
    this.pool.resetPeaks();
  }

  /** Gives the pool's free buffers back to the driver; launches still recorded are submitted first. */
  trimMemory(): void {
    this.flush();
    this.pool.trim();
  }

  releaseBuffer(buffer: GPUBuffer): void {
    this.pool.release(buffer);
  }

  destroy(): void {
    this.destroyed = true;
    this.pool.trim();
    this.device.destroy();
  }

  /** Throws the pending device-loss, out-of-memory or validation error, if any. */
  check(): void {
    if (this.lostError) throw this.lostError;
    if (this.outOfMemory) {
      const error = this.outOfMemory;
      this.outOfMemory = null;
      throw error;
    }
    if (this.gpuErrors.length > 0) {
      const errors = this.gpuErrors.splice(0);
      throw new Error(`WebGPU reported ${errors.length} error(s): ${errors.join(' | ')}`);
    }
  }

  private compile(spec: KernelSpec, constants: Readonly<Record<string, ConstantValue>>): CompiledKernel {
    const entryPoint = spec.entryPoint ?? 'main';
    const key = `${spec.name}|${entryPoint}|${Object.entries(constants).sort().map(([k, v]) => `${k}=${v}`).join(',')}`;
    const cached = this.kernels.get(key);
    if (cached) return cached;
    const paramFields = parseParams(spec.params);
    const layoutEntries: GPUBindGroupLayoutEntry[] = spec.bindings.map((access, i) => ({
      binding: i + 1,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: access === 'read' ? 'read-only-storage' : 'storage' },
    }));
    if (paramFields.length > 0) layoutEntries.push({ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } });
    const layout = this.device.createBindGroupLayout({ entries: layoutEntries, label: spec.name });
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: specialize(spec.source, constants, spec.name), label: spec.name });
    const pipeline = this.device.createComputePipeline({
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint },
      label: spec.name,
    });
    this.pendingErrorScopes.push(
      this.device.popErrorScope().then((error) => {
        if (error) this.gpuErrors.unshift(`kernel ${spec.name} (${key}) failed to compile: ${error.message}`);
      }),
    );
    const compiled = { pipeline, layout, paramFields };
    this.kernels.set(key, compiled);
    return compiled;
  }

  private writeParams(spec: KernelSpec, kernel: CompiledKernel, params: Readonly<Record<string, number>>): GPUBufferBinding {
    const size = alignTo(kernel.paramFields.length * 4, 16);
    const offset = this.arenaUsed;
    const view = new DataView(this.arenaHost, offset, size);
    kernel.paramFields.forEach(({ name, type }, i) => {
      const value = params[name];
      if (value === undefined || !Number.isFinite(value)) throw new Error(`kernel ${spec.name}: parameter ${name} is ${value}`);
      if (type === 'f32') view.setFloat32(i * 4, value, true);
      else if (type === 'i32') view.setInt32(i * 4, value, true);
      else view.setUint32(i * 4, value, true);
    });
    this.arenaUsed = alignTo(offset + size, this.uniformAlign);
    return { buffer: this.arena, offset, size };
  }

  private commandEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  private computePass(label: string): GPUComputePassEncoder {
    if (this.pass) return this.pass;
    const timestampWrites = this.profiler?.nextPass(label);
    this.pass = this.commandEncoder().beginComputePass(timestampWrites ? { timestampWrites } : {});
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }
}

function alignTo(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function toBytes(data: ArrayLike<number>, dtype: DType): ArrayBufferView<ArrayBuffer> {
  switch (dtype) {
    case 'f32':
      return data instanceof Float32Array ? (data as Float32Array<ArrayBuffer>) : Float32Array.from(data);
    case 'i32':
      return data instanceof Int32Array ? (data as Int32Array<ArrayBuffer>) : Int32Array.from(data);
    case 'u32':
      return data instanceof Uint32Array ? (data as Uint32Array<ArrayBuffer>) : Uint32Array.from(data);
    case 'f16': {
      const half = new Uint16Array(alignTo(data.length, 2));
      for (let i = 0; i < data.length; i++) half[i] = toHalfBits(data[i]);
      return half;
    }
  }
}

function fromBytes(bytes: ArrayBuffer, dtype: DType, size: number): Float32Array | Int32Array | Uint32Array {
  switch (dtype) {
    case 'f32':
      return new Float32Array(bytes, 0, size);
    case 'i32':
      return new Int32Array(bytes, 0, size);
    case 'u32':
      return new Uint32Array(bytes, 0, size);
    case 'f16': {
      const half = new Uint16Array(bytes, 0, size);
      return Float32Array.from(half, fromHalfBits);
    }
  }
}
