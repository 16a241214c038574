import { describe, expect, it } from 'vitest';
import { maxRows, meanRows, sumColumns, sumRows } from './reduce';
import { maxRowsRef, meanRowsRef, sumColumnsRef, sumRowsRef } from '../reference/reduce';
import { expectClose } from '../testing/compare';
import { testEngine } from '../testing/gpu';
import { randomArray } from '../random';

// f32 sums of up to 4096 terms in [-1, 1), added pairwise (tree) or in short runs: the error grows
// like log2(N) to sqrt(N) roundings of the terms, under 1e-6 of the largest sum; 1e-5 still catches
// any dropped or doubled element.
const F32_SUM = { rtol: 1e-5 };
// The maximum picks one of its inputs: exact.
const EXACT = { rtol: 0 };

describe('row reductions against the float64 reference', () => {
  for (const n of [1, 7, 33, 129, 1000]) {
    it(`rows of length ${n}`, async () => {
      const e = await testEngine();
      const rows = 5;
      const x = randomArray(rows * n, n);
      const xt = e.upload(x, [rows, n]);
      expectClose(await e.read(sumRows(e, xt)), sumRowsRef(x, n), F32_SUM, 'sumRows');
      expectClose(await e.read(maxRows(e, xt)), maxRowsRef(x, n), EXACT, 'maxRows');
      expectClose(await e.read(meanRows(e, xt)), meanRowsRef(x, n), F32_SUM, 'meanRows');
    });
  }

  it('keeps the leading dimensions and reduces a 1-D tensor to a scalar', async () => {
    const e = await testEngine();
    const x = randomArray(2 * 3 * 7, 2);
    const y = sumRows(e, e.upload(x, [2, 3, 7]));
    expect(y.shape).toEqual([2, 3]);
    expectClose(await e.read(y), sumRowsRef(x, 7), F32_SUM);
    const s = maxRows(e, e.upload(x, [x.length]));
    expect(s.shape).toEqual([]);
    expectClose(await e.read(s), maxRowsRef(x, x.length), EXACT);
  });

  it('handles more rows than one grid dimension holds', async () => {
    const e = await testEngine();
    const rows = 70_000;
    const x = randomArray(rows * 2, 3);
    expectClose(await e.read(sumRows(e, e.upload(x, [rows, 2]))), sumRowsRef(x, 2), F32_SUM);
  });

  it('max of all-negative rows, and errors on empty rows', async () => {
    const e = await testEngine();
    const x = [-5, -3, -4, -1e30, -2e30, -3e30];
    expectClose(await e.read(maxRows(e, e.upload(x, [2, 3]))), [-3, -1e30].map(Math.fround), EXACT);
    expect(() => maxRows(e, e.zeros([2, 0]))).toThrow(/maxRows: x has shape \[2, 0\]/);
    expectClose(await e.read(sumRows(e, e.zeros([2, 0]))), [0, 0], EXACT);
  });
});

describe('column sums against the float64 reference', () => {
  for (const [rows, cols] of [
    [1, 1],
    [7, 129],
    [129, 7],
    [257, 33],
    [4096, 65],
  ]) {
    it(`[${rows}, ${cols}]`, async () => {
      const e = await testEngine();
      const x = randomArray(rows * cols, rows + cols);
      expectClose(await e.read(sumColumns(e, e.upload(x, [rows, cols]))), sumColumnsRef(x, rows, cols), F32_SUM);
    });
  }

  it('is deterministic and rejects non-matrices', async () => {
    const e = await testEngine();
    const xt = e.upload(randomArray(1000 * 3, 9), [1000, 3]);
    expect(Array.from(await e.read(sumColumns(e, xt)))).toEqual(Array.from(await e.read(sumColumns(e, xt))));
    expect(() => sumColumns(e, e.zeros([2, 3, 4]))).toThrow(/sumColumns: x has shape \[2, 3, 4\], expected \[\*, \*\]/);
  });
});
