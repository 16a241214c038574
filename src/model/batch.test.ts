import { describe, expect, it } from 'vitest';
import { lastTokenRows, packBatch } from './batch';

describe('packBatch', () => {
  it('pads on the right by default, masking and numbering real tokens only', () => {
    const batch = packBatch([[5, 6, 7], [8], [9, 10]], 0);
    expect(batch.B).toBe(3);
    expect(batch.T).toBe(3);
    expect([...batch.ids]).toEqual([5, 6, 7, 8, 0, 0, 9, 10, 0]);
    expect([...batch.keyMask]).toEqual([1, 1, 1, 1, 0, 0, 1, 1, 0]);
    expect([...batch.positions]).toEqual([0, 1, 2, 0, 0, 0, 0, 1, 0]);
    expect(batch.lengths).toEqual([3, 1, 2]);
    expect([...lastTokenRows(batch)]).toEqual([2, 0, 1]);
  });

  it('pads on the left with positions counting from the first real token', () => {
    const batch = packBatch([[5, 6, 7], [8]], 1, { side: 'left' });
    expect([...batch.ids]).toEqual([5, 6, 7, 1, 1, 8]);
    expect([...batch.keyMask]).toEqual([1, 1, 1, 0, 0, 1]);
    expect([...batch.positions]).toEqual([0, 1, 2, 0, 0, 0]);
    expect([...lastTokenRows(batch)]).toEqual([2, 2]);
  });

  it('names the sequence that is empty or too long', () => {
    expect(() => packBatch([[1], []], 0)).toThrow(/sequence 1 is empty \(length 0\)/);
    expect(() => packBatch([[1, 2, 3], [1, 2, 3, 4, 5]], 0, { maxLength: 4 })).toThrow(/sequence 1 has 5 tokens, more than maxLength 4/);
    expect(() => packBatch([], 0)).toThrow(/no sequences/);
  });
});
