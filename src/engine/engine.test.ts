import { describe, expect, it } from 'vitest';
import { fromHalfBits, toHalfBits } from './dtype';
import { Engine } from './engine';
import { GpuDeviceLostError, GpuOutOfMemoryError } from './errors';
import { defineKernel, grid1d, specialize } from './kernel';
import { nodeGpu } from './node-gpu';
import { gelu, geluBackward } from './ops/activation';
import { bucketSize } from './pool';
import { testEngine } from './testing/gpu';
import { randomArray } from './random';

describe('tensors', () => {
  it('round-trip f32, i32 and u32 data and keep shape and dtype', async () => {
    const e = await testEngine();
    const f = e.upload([1.5, -2, 3.25], [3]);
    const i = e.upload([-7, 0, 2147483647], [1, 3], 'i32');
    const u = e.upload([0, 1, 4294967295], [3, 1], 'u32');
    expect(Array.from(await e.read(f))).toEqual([1.5, -2, 3.25]);
    expect(Array.from(await e.read(i))).toEqual([-7, 0, 2147483647]);
    expect(Array.from(await e.read(u))).toEqual([0, 1, 4294967295]);
    expect([i.shape, i.dtype, u.shape, u.dtype]).toEqual([[1, 3], 'i32', [3, 1], 'u32']);
  });

  it('round-trips f16 when the adapter has shader-f16', async () => {
    const e = await testEngine();
    if (!e.features.shaderF16) return;
    const values = [0, 1, -2.5, 65504, 6.103515625e-5, 1 / 3];
    const t = e.upload(values, [6], 'f16');
    expect(t.byteLength).toBe(12);
    expect(Array.from(await e.read(t))).toEqual(values.map((v) => fromHalfBits(toHalfBits(v))));
  });

  it('reads several tensors of any dtype and odd byte lengths with one wait', async () => {
    const e = await testEngine();
    const half = e.features.shaderF16 ? [e.upload([0.5, -1, 2], [3], 'f16')] : [];
    const ts = [e.upload([1.5], [1]), ...half, e.upload([-7, 9], [2], 'i32'), e.zeros([0]), e.upload([4294967295], [1], 'u32')];
    const before = e.activity().hostWaits;
    const got = await e.readAll(ts);
    expect(e.activity().hostWaits - before).toBe(1);
    expect(got.map((a) => Array.from(a))).toEqual([[1.5], ...(half.length ? [[0.5, -1, 2]] : []), [-7, 9], [], [4294967295]]);
  });

  it('rejects a write of the wrong length, a bad reshape and use after release', async () => {
    const e = await testEngine();
    const t = e.zeros([2, 3]);
    expect(() => e.write(t, [1, 2])).toThrow(/2 values given for a tensor of 6 elements \[2, 3\]/);
    expect(() => t.reshape([4])).toThrow(/cannot view \[2, 3\] \(6 elements\) as \[4\]/);
    expect(Array.from(await e.read(t.reshape([3, 2])))).toEqual([0, 0, 0, 0, 0, 0]);
    t.release();
    expect(() => t.buffer).toThrow(/used after release/);
  });

  it('zeros clears a reused buffer', async () => {
    const e = await testEngine();
    const a = e.upload([1, 2, 3, 4], [4]);
    a.release();
    const b = e.zeros([4]);
    expect(Array.from(await e.read(b))).toEqual([0, 0, 0, 0]);
  });
});

describe('half-precision conversion', () => {
  it('rounds to nearest even and keeps specials', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(1e6)).toBe(0x7c00);
    expect(toHalfBits(2 ** -24)).toBe(1);
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // halfway, rounds to even
    expect(Number.isNaN(fromHalfBits(toHalfBits(NaN)))).toBe(true);
    for (const v of randomArray(200, 9, 100)) expect(Math.abs(fromHalfBits(toHalfBits(v)) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
  });
});

describe('buffer pool', () => {
  it('buckets sizes to powers of two and 1.5x powers of two', () => {
    expect([1, 256, 257, 384, 385, 512, 513, 1000, 4096].map(bucketSize)).toEqual([256, 256, 384, 384, 512, 512, 768, 1024, 4096]);
  });

  it('gives persistent tensors their exact size', async () => {
    const e = await testEngine();
    const before = e.memory().allocatedBytes;
    const w = e.upload(new Float32Array(1000), [10, 100], 'f32', { persistent: true });
    expect(e.memory().allocatedBytes - before).toBe(4000);
    w.release();
  });

  it('allocates nothing in steady state and counts current and peak bytes', async () => {
    const e = await testEngine();
    const x = e.upload(randomArray(1000, 1), [1000]);
    const step = () => {
      const y = gelu(e, x);
      const dx = geluBackward(e, x, y);
      y.release();
      return dx;
    };
    step().release();
    await e.sync();
    const before = e.memory();
    for (let i = 0; i < 5; i++) step().release();
    await e.sync();
    const after = e.memory();
    expect(after.buffersCreated).toBe(before.buffersCreated);
    expect(after.allocatedBytes).toBe(before.allocatedBytes);
    expect(after.peakAllocatedBytes).toBeGreaterThanOrEqual(after.allocatedBytes);
    expect(after.peakInUseBytes).toBeGreaterThanOrEqual(after.inUseBytes + 2 * 4096);
    x.release();
  });
});

describe('kernels', () => {
  it('specialize replaces typed constants and refuses unknown ones', () => {
    const src = 'const TILE: u32 = 4u;\nconst SCALE: f32 = 1.0;\nconst CAUSAL: bool = false;';
    expect(specialize(src, { TILE: 16, SCALE: 0.125, CAUSAL: true }, 'k')).toBe('const TILE: u32 = 16u;\nconst SCALE: f32 = 0.125000000f;\nconst CAUSAL: bool = true;');
    expect(() => specialize(src, { WIDTH: 2 }, 'k')).toThrow(/kernel k: the shader declares no 'const WIDTH/);
    expect(() => specialize(src, { TILE: -1 }, 'k')).toThrow(/not a u32/);
  });

  it('grid1d stays under the per-dimension limit and covers every element', () => {
    expect(grid1d(1000, 256)).toEqual([4, 1, 1]);
    const [x, y] = grid1d(70_000 * 256, 256);
    expect(x).toBeLessThanOrEqual(65535);
    expect(x * y * 256).toBeGreaterThanOrEqual(70_000 * 256);
  });

  it('reports a shader that fails to compile, naming the kernel', async () => {
    const e = await testEngine();
    const broken = defineKernel({ name: 'broken_kernel', source: '@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }', bindings: [] });
    e.run(broken, { tensors: [], workgroups: [1] });
    await expect(e.sync()).rejects.toThrow(/kernel broken_kernel .*failed to compile/);
  });

  it('times each kernel with GPU timestamps when profiling', async () => {
    const e = await testEngine();
    const x = e.upload(randomArray(4096, 2), [4096]);
    e.startProfiling();
    for (let i = 0; i < 3; i++) gelu(e, x).release();
    geluBackward(e, x, x).release();
    const timings = await e.stopProfiling();
    const byName = Object.fromEntries(timings.map((t) => [t.name, t]));
    expect(byName.gelu_forward.launches).toBe(3);
    expect(byName.gelu_backward.launches).toBe(1);
    if (e.features.timestampQuery) expect(byName.gelu_forward.totalMs).toBeGreaterThan(0);
  });
});

describe('device loss', () => {
  it('turns a lost device into a clear error on the next call', async () => {
    const lost: GpuDeviceLostError[] = [];
    const e = await Engine.create(await nodeGpu(), { onDeviceLost: (err) => lost.push(err) });
    const x = e.upload([1, 2, 3], [3]);
    e.device.destroy();
    await expect.poll(() => lost.length).toBe(1);
    expect(lost[0].message).toMatch(/The GPU device was lost \(destroyed/);
    expect(lost[0].message).toMatch(/your data is kept/);
    expect(() => gelu(e, x)).toThrow(GpuDeviceLostError);
  });
});

describe('out of memory', () => {
  it('names the allocation the driver refused, and the device stays usable', async () => {
    const e = await Engine.create(await nodeGpu());
    // A real out-of-memory needs more memory than the test machine has; the driver's answer is
    // injected where WebGPU delivers it: the error scope around the next buffer creation.
    const popErrorScope = e.device.popErrorScope.bind(e.device);
    let refuseNext = true;
    e.device.popErrorScope = async () => {
      const error = await popErrorScope();
      if (!refuseNext) return error;
      refuseNext = false;
      return { message: 'Not enough memory left.' } as GPUError;
    };
    const x = e.empty([1000, 1000]);
    const failure = e.sync().then(() => null, (error: unknown) => error);
    const error = await failure;
    expect(error).toBeInstanceOf(GpuOutOfMemoryError);
    expect((error as Error).message).toMatch(/ran out of memory: a buffer of 4\.00 MiB \(f32\[1000, ?1000\]\) could not be allocated, with [\d.]+ (B|KiB|MiB) already held by this app \(Not enough memory left\)\. Nothing was lost/);
    x.release();
    const y = e.upload([1, 2, 3], [3]);
    expect(Array.from(await e.read(y))).toEqual([1, 2, 3]);
    e.destroy();
  });
});
