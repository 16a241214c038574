import { describe, expect, it } from 'vitest';
import { softmax, softmaxBackward } from './softmax';
import { softmaxBackwardRef, softmaxRef } from '../reference/softmax';
import { expectClose } from '../testing/compare';
import { finiteDifferenceGradient, weightedSum } from '../testing/finite-diff';
import { testEngine } from '../testing/gpu';
import { randomArray } from '../random';

// WGSL allows exp an error of 3 + 2|x| ulp, so with logits in [-8, 8] one exp may be off by ~35 ulp
// (2e-6 relative); a row sum of up to 3000 such terms adds about sqrt(3000) * 6e-8. 1e-5 relative
// to the largest probability covers both with margin and still catches a wrong max or sum.
const F32_SOFTMAX = { rtol: 1e-5, atol: 1e-7 };
// The backward's dot product over a row has the same error budget as the forward's sum.
const F32_SOFTMAX_BACKWARD = { rtol: 1e-5, atol: 1e-7 };
const ROWS = [1, 7, 33];
const COLS = [1, 7, 129, 3000];

async function checkForwardBackward(shape: number[], x: Float64Array, seed: number): Promise<void> {
  const e = await testEngine();
  const cols = shape[shape.length - 1];
  const dy = randomArray(x.length, seed);
  const xt = e.upload(x, shape);
  const dyt = e.upload(dy, shape);
  const yt = softmax(e, xt);
  const y = await e.read(yt);
  expectClose(y, softmaxRef(x, cols), F32_SOFTMAX, `softmax [${shape}]`);
  // Both sides start from the GPU's y, so the check isolates the backward kernel.
  const dx = softmaxBackward(e, yt, dyt);
  expectClose(await e.read(dx), softmaxBackwardRef(y, dy, cols), F32_SOFTMAX_BACKWARD, `softmax backward [${shape}]`);
  for (const t of [xt, dyt, yt, dx]) t.release();
}

describe('softmax against the float64 reference', () => {
  for (const cols of COLS) {
    it(`rows ${ROWS.join(', ')} x cols ${cols}`, async () => {
      for (const rows of ROWS) await checkForwardBackward([rows, cols], randomArray(rows * cols, rows * 1000 + cols, 8), rows + cols);
    });
  }

  it('over leading batch dimensions', async () => {
    const shape = [3, 5, 129];
    await checkForwardBackward(shape, randomArray(3 * 5 * 129, 11, 8), 12);
  });

  it('stays finite for logits of magnitude 1e4', async () => {
    const cols = 129;
    const x = randomArray(3 * cols, 13, 1e4);
    // One row entirely at -1e4 and one with a single dominant entry: exp must neither overflow nor vanish to 0/0.
    x.fill(-1e4, 0, cols);
    x.fill(-1e4, cols, 2 * cols);
    x[cols + 5] = 1e4;
    const e = await testEngine();
    const y = await e.read(softmax(e, e.upload(x, [3, cols])));
    expect(y.every(Number.isFinite)).toBe(true);
    expectClose(y, softmaxRef(x, cols), F32_SOFTMAX, 'softmax of large logits');
  });

  it('spills rows beyond 65535 workgroups into the grid y dimension', async () => {
    const rows = 65535 + 7;
    const x = randomArray(rows * 2, 14, 4);
    const e = await testEngine();
    expectClose(await e.read(softmax(e, e.upload(x, [rows, 2]))), softmaxRef(x, 2), F32_SOFTMAX, 'softmax of many rows');
  });

  it('rejects a last dimension of 0 and mismatched dy', async () => {
    const e = await testEngine();
    expect(() => softmax(e, e.empty([3, 0]))).toThrow(/x has shape \[3,0\]/);
    expect(() => softmaxBackward(e, e.empty([2, 3]), e.empty([3, 2]))).toThrow(/dy has shape \[3,2\]/);
  });
});

describe('softmax backward reference against central finite differences (float64)', () => {
  const FD = { rtol: 1e-7 };
  it('two rows of 9', () => {
    const x = randomArray(18, 15, 3);
    const w = randomArray(18, 16);
    const analytic = softmaxBackwardRef(softmaxRef(x, 9), w, 9);
    expectClose(analytic, finiteDifferenceGradient((v) => weightedSum(softmaxRef(v, 9), w), x), FD);
  });
});
