import { describe, expect, it } from 'vitest';
import { crossEntropy, tokenLogProbs } from './cross-entropy';
import { crossEntropyRef, tokenLogProbsRef } from '../reference/cross-entropy';
import { expectClose } from '../testing/compare';
import { finiteDifferenceGradient } from '../testing/finite-diff';
import { testEngine } from '../testing/gpu';
import { randomArray, randomInts } from '../random';

// As for softmax: WGSL's exp may be off by 3 + 2|x| ulp (~2e-6 relative for logits in [-8, 8]) and a
// row sum of up to 3000 terms adds about sqrt(3000) * 6e-8; 1e-5 of the largest value covers both.
// A 151936-column row fits the same budget: each invocation sums ~600 terms before the tree.
const F32_LOSS = { rtol: 1e-5, atol: 1e-6 };
const F32_GRAD = { rtol: 1e-5, atol: 1e-7 };
const ROWS = [1, 7, 33];
const COLS = [1, 7, 129, 3000];

/** Targets with every third row ignored, alternately by -1 and by an index past the last column. */
function targetsWithIgnored(rows: number, cols: number, seed: number): Int32Array {
  const t = randomInts(rows, cols, seed);
  for (let n = 1; n < rows; n += 3) t[n] = n % 2 === 0 ? -1 : cols;
  return t;
}

async function check(rows: number, cols: number, logits: Float64Array, targets: Int32Array, reduction: 'mean' | 'sum'): Promise<void> {
  const e = await testEngine();
  const lt = e.upload(logits, [rows, cols]);
  const tt = e.upload(targets, [rows], 'i32');
  const { loss, dLogits } = crossEntropy(e, lt, tt, { reduction });
  const ref = crossEntropyRef(logits, targets, cols, reduction);
  const what = `[${rows}, ${cols}] ${reduction}`;
  expectClose(await e.read(loss), ref.loss, F32_LOSS, `loss ${what}`);
  expectClose(await e.read(dLogits), ref.dLogits, F32_GRAD, `dLogits ${what}`);
  for (const t of [lt, tt, loss, dLogits]) t.release();
}

describe('cross-entropy against the float64 reference', () => {
  for (const cols of COLS) {
    it(`rows ${ROWS.join(', ')} x cols ${cols}, some rows ignored`, async () => {
      for (const rows of ROWS) {
        const seed = rows * 1000 + cols;
        await check(rows, cols, randomArray(rows * cols, seed, 8), targetsWithIgnored(rows, cols, seed), rows === 7 ? 'sum' : 'mean');
      }
    });
  }

  it('stays finite for logits of magnitude 1e4', async () => {
    const cols = 129;
    const logits = randomArray(3 * cols, 21, 1e4);
    // Row 1: target far below a dominant logit (loss ~2e4, softmax exactly one-hot at another index).
    logits.fill(-1e4, cols, 2 * cols);
    logits[cols + 3] = 1e4;
    const targets = Int32Array.from([5, 7, 0]);
    const e = await testEngine();
    const { loss, dLogits } = crossEntropy(e, e.upload(logits, [3, cols]), e.upload(targets, [3], 'i32'));
    const [l, g] = [await e.read(loss), await e.read(dLogits)];
    expect(l.every(Number.isFinite) && g.every(Number.isFinite)).toBe(true);
    const ref = crossEntropyRef(logits, targets, cols);
    expectClose(l, ref.loss, F32_LOSS, 'loss of large logits');
    expectClose(g, ref.dLogits, F32_GRAD, 'dLogits of large logits');
  });

  it('loops over a 151936-word vocabulary', async () => {
    const [rows, cols] = [2, 151936];
    await check(rows, cols, randomArray(rows * cols, 22, 8), Int32Array.from([151935, 40000]), 'mean');
  });

  it('gives zeros and no NaN when every row is ignored', async () => {
    const e = await testEngine();
    const { loss, dLogits } = crossEntropy(e, e.upload(randomArray(14, 23), [2, 7]), e.upload([-1, 7], [2], 'i32'));
    expect(Array.from(await e.read(loss))).toEqual([0, 0]);
    expect((await e.read(dLogits)).every((v) => v === 0)).toBe(true);
  });

  it('names the offending argument', async () => {
    const e = await testEngine();
    expect(() => crossEntropy(e, e.empty([3, 5]), e.empty([4], 'i32'))).toThrow(/targets has shape \[4\]/);
    expect(() => crossEntropy(e, e.empty([3, 5]), e.empty([3]))).toThrow(/targets has dtype f32/);
    expect(() => crossEntropy(e, e.empty([15]), e.empty([3], 'i32'))).toThrow(/logits has shape \[15\]/);
  });
});

describe('cross-entropy gradient reference against central finite differences (float64)', () => {
  const FD = { rtol: 1e-7 };
  const [rows, cols] = [4, 6];
  const logits = randomArray(rows * cols, 24, 3);
  const targets = Int32Array.from([2, -1, 5, 0]);
  for (const reduction of ['mean', 'sum'] as const) {
    it(reduction, () => {
      // The scalar whose gradient dLogits is: the reduced loss over counted rows.
      const scale = reduction === 'mean' ? 1 / 3 : 1;
      const total = (x: Float64Array) => crossEntropyRef(x, targets, cols, reduction).loss.reduce((a, b) => a + b, 0) * scale;
      expectClose(crossEntropyRef(logits, targets, cols, reduction).dLogits, finiteDifferenceGradient(total, logits), FD);
    });
  }
});

describe('tokenLogProbs against the float64 reference', () => {
  async function checkLogProbs(rows: number, cols: number, perRow: number, logits: Float64Array, targets: Int32Array): Promise<Float32Array> {
    const e = await testEngine();
    const lt = e.upload(logits, [rows, cols]);
    const tt = e.upload(targets, [rows, perRow], 'i32');
    const out = tokenLogProbs(e, lt, tt);
    expect(out.shape).toEqual([rows, perRow]);
    const got = (await e.read(out)) as Float32Array;
    expectClose(got, tokenLogProbsRef(logits, targets, cols, perRow), F32_LOSS, `[${rows}, ${cols}] x ${perRow}`);
    for (const t of [lt, tt, out]) t.release();
    return got;
  }

  for (const cols of COLS) {
    it(`rows ${ROWS.join(', ')} x cols ${cols}, 1 and 5 targets per row, some of them padding`, async () => {
      for (const rows of ROWS) {
        for (const perRow of [1, 5]) {
          const seed = rows * 1000 + cols + perRow;
          await checkLogProbs(rows, cols, perRow, randomArray(rows * cols, seed, 8), targetsWithIgnored(rows * perRow, cols, seed));
        }
      }
    });
  }

  it('is minus the cross-entropy loss, and 0 for padding targets', async () => {
    const [rows, cols] = [7, 129];
    const logits = randomArray(rows * cols, 31, 8);
    const targets = targetsWithIgnored(rows, cols, 31);
    const got = await checkLogProbs(rows, cols, 1, logits, targets);
    const ce = crossEntropyRef(logits, targets, cols).loss;
    expectClose(got, ce.map((l) => -l), F32_LOSS, 'against -loss');
    for (let n = 1; n < rows; n += 3) expect(got[n]).toBe(0);
  });

  it('loops over a 151936-word vocabulary and stays finite for logits of magnitude 1e4', async () => {
    await checkLogProbs(2, 151936, 3, randomArray(2 * 151936, 32, 8), Int32Array.from([151935, 0, 40000, 7, -1, 151935]));
    const logits = randomArray(2 * 129, 33, 1e4);
    logits[5] = 2e4;
    const got = await checkLogProbs(2, 129, 2, logits, Int32Array.from([5, 6, 0, 128]));
    expect(got.every(Number.isFinite)).toBe(true);
  });

  it('names the offending argument', async () => {
    const e = await testEngine();
    expect(() => tokenLogProbs(e, e.empty([3, 5]), e.empty([4, 1], 'i32'))).toThrow(/targets has shape \[4, 1\]/);
    expect(() => tokenLogProbs(e, e.empty([3, 5]), e.empty([3], 'i32'))).toThrow(/targets has shape \[3\]/);
    expect(() => tokenLogProbs(e, e.empty([3, 5]), e.empty([3, 2]))).toThrow(/targets has dtype f32/);
  });
});
