import { describe, expect, it } from 'vitest';
import { firstNonFinite } from './finite';
import { firstNonFiniteRef } from '../reference/finite';
import { testEngine } from '../testing/gpu';
import { randomArray, rng } from '../random';

// Around an invocation's 8 words and a workgroup's 2048 (f16: twice as many elements); odd sizes leave
// half a word of padding in f16.
const SIZES = [1, 2, 3, 7, 8, 9, 17, 255, 257, 2047, 2048, 2049, 4095, 4097, 5000];
const BAD = [NaN, Infinity, -Infinity];

/** Random values with `count` non-finite ones at random places (and sometimes the last place). */
function planted(n: number, count: number, seed: number): Float64Array {
  const values = randomArray(n, seed, 100);
  const r = rng(seed + 1);
  for (let k = 0; k < count; k++) values[k === 0 && seed % 3 === 0 ? n - 1 : Math.floor(r() * n)] = BAD[(seed + k) % BAD.length];
  return values;
}

describe('firstNonFinite against the reference', () => {
  for (const dtype of ['f32', 'f16'] as const) {
    it(`${dtype}: the first NaN or infinity of every tensor, at every size, in one call`, async () => {
      const e = await testEngine();
      if (dtype === 'f16' && !e.features.shaderF16) return;
      const arrays = SIZES.flatMap((n, i) => [0, 1, 3].map((count) => planted(n, count, 10 * i + count)));
      const tensors = arrays.map((a) => e.upload(a, [a.length], dtype));
      const found = await firstNonFinite(e, tensors);
      expect(found).toEqual(arrays.map((a) => firstNonFiniteRef(a, dtype)));
      expect(found.filter((i) => i === null).length).toBe(SIZES.length);
      for (const t of tensors) t.release();
    });
  }

  it('passes the largest finite values, zeros and subnormals, and finds what overflows f16', async () => {
    const e = await testEngine();
    const finite = [0, -0, 3.4e38, -3.4e38, 1e-45, -1e-45];
    const [t] = [e.upload(finite, [finite.length])];
    expect(await firstNonFinite(e, [t])).toEqual([null]);
    if (e.features.shaderF16) {
      const half = [0, -0, 65504, -65504, 6e-8, 70000];
      const h = e.upload(half, [half.length], 'f16');
      expect(await firstNonFinite(e, [h])).toEqual([firstNonFiniteRef(half, 'f16')]);
      expect(firstNonFiniteRef(half, 'f16')).toBe(5);
      h.release();
    }
    t.release();
  });

  it('reports the first of several in one invocation and in different workgroups', async () => {
    const e = await testEngine();
    for (const dtype of e.features.shaderF16 ? (['f32', 'f16'] as const) : (['f32'] as const)) {
      const cases = [[6, 2], [5000, 2049, 4100], [15, 9]].map((bad) => {
        const values = new Float64Array(6000);
        for (const i of bad) values[i] = NaN;
        return values;
      });
      const tensors = cases.map((v) => e.upload(v, [v.length], dtype));
      expect(await firstNonFinite(e, tensors), dtype).toEqual([2, 2049, 9]);
      for (const t of tensors) t.release();
    }
  });

  it('reads tensors packed at offsets in a shared buffer, each on its own', async () => {
    const e = await testEngine();
    const [a, b, c] = e.zerosGroup([[7], [300], [5]]);
    e.write(b, planted(300, 2, 4));
    expect(await firstNonFinite(e, [a, b, c])).toEqual([null, firstNonFiniteRef(planted(300, 2, 4), 'f32'), null]);
    for (const t of [a, b, c]) t.release();
  });

  it('ignores the padding half-word of an odd-sized f16 tensor', async () => {
    const e = await testEngine();
    if (!e.features.shaderF16) return;
    const four = e.upload([0, 0, 0, NaN], [4], 'f16');
    const buffer = four.buffer;
    four.release();
    // The pool hands the same buffer back, NaN bits still in the half past element 2.
    const three = e.empty([3], 'f16');
    expect(three.buffer).toBe(buffer);
    expect(await firstNonFinite(e, [three])).toEqual([null]);
    three.release();
  });
});
