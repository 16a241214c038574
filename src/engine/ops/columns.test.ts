import { describe, expect, it } from 'vitest';
import { copyColumns } from './columns';
import { testEngine } from '../testing/gpu';
import { randomArray } from '../random';

describe('copyColumns', () => {
  it('copies a block of columns and leaves the others of dst as they were', async () => {
    const e = await testEngine();
    const [rows, srcCols, dstCols] = [7, 11, 13];
    const src = randomArray(rows * srcCols, 1);
    const dst = randomArray(rows * dstCols, 2);
    const [st, dt] = [e.upload(src, [rows, srcCols]), e.upload(dst, [rows, dstCols])];
    copyColumns(e, st, dt, { srcFirst: 3, dstFirst: 5, width: 6 });
    const expected = Float32Array.from(dst);
    for (let r = 0; r < rows; r++) for (let c = 0; c < 6; c++) expected[r * dstCols + 5 + c] = src[r * srcCols + 3 + c];
    expect(Array.from(await e.read(dt))).toEqual(Array.from(expected));
    st.release();
    dt.release();
  });

  it('rejects blocks outside either matrix, naming the bound', async () => {
    const e = await testEngine();
    const [a, b] = [e.zeros([2, 4]), e.zeros([2, 6])];
    expect(() => copyColumns(e, a, b, { srcFirst: 1, dstFirst: 0, width: 4 })).toThrow(/columns \[1, 5\) are beyond src's 4/);
    expect(() => copyColumns(e, a, b, { srcFirst: 0, dstFirst: 3, width: 4 })).toThrow(/columns \[3, 7\) are beyond dst's 6/);
    expect(() => copyColumns(e, a, e.zeros([3, 6]), { srcFirst: 0, dstFirst: 0, width: 1 })).toThrow(/dst has shape \[3, 6\]/);
  });
});
