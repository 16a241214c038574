import { describe, expect, it } from 'vitest';
import { latestWins, sameFields } from './idb-storage';

function deferredWrites() {
  const written: number[] = [];
  const pending: (() => void)[] = [];
  const write = (value: number) =>
    new Promise<void>((resolve) => {
      written.push(value);
      pending.push(resolve);
    });
  const finishNext = async () => {
    pending.shift()!();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { written, write, finishNext };
}

describe('latestWins', () => {
  it('writes the first value at once and only the latest of those that arrive meanwhile', async () => {
    const { written, write, finishNext } = deferredWrites();
    const save = latestWins(write);
    const settled: number[] = [];
    for (const v of [1, 2, 3, 4]) void save(v).then(() => settled.push(v));
    expect(written).toEqual([1]);
    await finishNext();
    expect(written).toEqual([1, 4]);
    expect(settled).toEqual([1]);
    await finishNext();
    expect(settled.sort()).toEqual([1, 2, 3, 4]);
    void save(5);
    expect(written).toEqual([1, 4, 5]);
  });

  it('goes on with the waiting value after a failed write, and the failure reaches its caller', async () => {
    let calls = 0;
    const written: number[] = [];
    const save = latestWins(async (v: number) => {
      if (calls++ === 0) throw new Error('disk full');
      written.push(v);
    });
    const first = save(1);
    const second = save(2);
    await expect(first).rejects.toThrow('disk full');
    await second;
    expect(written).toEqual([2]);
  });
});

describe('sameFields', () => {
  it('compares each field by reference', () => {
    const rows = [{ text: 'a', label: 0 }];
    expect(sameFields({ rows, k: 4 }, { rows, k: 4 })).toBe(true);
    expect(sameFields({ rows, k: 4 }, { rows: [...rows], k: 4 })).toBe(false);
    expect(sameFields({ rows }, { rows, k: 4 })).toBe(false);
    expect(sameFields(undefined, { rows })).toBe(false);
  });
});
