import { describe, expect, it } from 'vitest';
import { contiguousRuns, groupLayout } from './tensor-group';
import { testEngine } from './testing/gpu';

describe('groupLayout', () => {
  it('places tensors at aligned offsets and starts a new buffer where the next would not fit', () => {
    // 3 f32 = 12 bytes -> next at 256; 100 f32 = 400 bytes, to 656; the next at 768 is past 700: new buffer.
    const layout = groupLayout([[3], [10, 10], [1]], 'f32', 256, 700);
    expect(layout.slots).toEqual([
      { buffer: 0, byteOffset: 0 },
      { buffer: 0, byteOffset: 256 },
      { buffer: 1, byteOffset: 0 },
    ]);
    expect(layout.bufferBytes).toEqual([656, 4]);
  });
});

describe('Engine.zerosGroup and contiguousRuns', () => {
  it('packs zeroed tensors that read and write independently and form one run; others are runs of one', async () => {
    const e = await testEngine();
    const packed = e.zerosGroup([[5], [2, 3], [300]]);
    expect(packed.every((t) => t.buffer === packed[0].buffer)).toBe(true);
    expect(packed.map((t) => t.byteOffset % e.storageAlignment)).toEqual([0, 0, 0]);
    expect(Array.from(await e.read(packed[1]))).toEqual([0, 0, 0, 0, 0, 0]);
    e.write(packed[1], [1, 2, 3, 4, 5, 6]);
    expect(Array.from(await e.read(packed[0]))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(await e.read(packed[1]))).toEqual([1, 2, 3, 4, 5, 6]);
    const other = e.zeros([4]);
    const runs = contiguousRuns([...packed, other], e.storageAlignment);
    expect(runs.map((r) => [r.first, r.count])).toEqual([
      [0, 3],
      [3, 1],
    ]);
    expect(runs[0].range.size).toBe((packed[2].byteOffset + 300 * 4) / 4);
    // Out of order is not back to back.
    expect(contiguousRuns([packed[1], packed[0]], e.storageAlignment).map((r) => r.count)).toEqual([1, 1]);
    // The buffer goes back to the pool once, after its last tensor.
    const inUse = e.memory().inUseBytes;
    packed[0].release();
    packed[1].release();
    expect(e.memory().inUseBytes).toBe(inUse);
    packed[2].release();
    expect(e.memory().inUseBytes).toBeLessThan(inUse);
  });
});
