import { describe, expect, it } from 'vitest';
import { layerNorm, layerNormBackward, rmsNorm, rmsNormBackward } from './norm';
import { layerNormBackwardRef, layerNormRef, rmsNormBackwardRef, rmsNormRef } from '../reference/norm';
import type { Engine } from '../engine';
import { expectClose } from '../testing/compare';
import { finiteDifferenceGradient, weightedSum } from '../testing/finite-diff';
import { testEngine } from '../testing/gpu';
import { randomArray } from '../random';

// Row reductions: each invocation adds <= ceil(C / 256) terms serially, then a tree of depth 8,
// so a sum carries at most ~20 roundings (~1.2e-6 relative to the sum of |terms|); inverseSqrt
// adds 2 ulp (lavapipe shows <= 2e-7). 1e-5 of the largest output leaves margin for GPUs with
// coarser inverseSqrt and still catches a wrong mean, variance or term (those are O(1) errors).
const F32_ROW_REDUCTION = { rtol: 1e-5 };
// Weight gradients sum dy * xhat over <= 33 rows: chunk sums of 32 rows, then a column sum.
const F32_ROW_SUM = { rtol: 1e-5 };
const EPS = 1e-5;

/**
 * dx = rstd * (dy * w - ...) cancels almost completely where a row is nearly constant (C = 1 gives
 * exactly x^2 / (x^2 + eps) against 1), so its f32 error is judged against the terms that cancel,
 * max |rstd * dy * w|, not against the tiny result.
 */
function dxTolerance(dy: ArrayLike<number>, w: ArrayLike<number>, rstd: ArrayLike<number>, weightOffset = 0) {
  const C = w.length;
  let scale = 0;
  for (let i = 0; i < dy.length; i++) scale = Math.max(scale, Math.abs(rstd[Math.floor(i / C)] * dy[i] * (weightOffset + w[i % C])));
  return { ...F32_ROW_REDUCTION, atol: F32_ROW_REDUCTION.rtol * scale };
}
const ROWS = [1, 7, 33];
const COLS = [1, 7, 33, 129, 300];

async function checkLayerNorm(e: Engine, shape: number[], seed: number): Promise<void> {
  const C = shape[shape.length - 1];
  const n = shape.reduce((a, b) => a * b, 1);
  // An offset mean: a one-pass E[x^2] - E[x]^2 would lose digits here.
  const x = randomArray(n, seed, 2).map((v) => Math.fround(v + 3));
  const w = randomArray(C, seed + 1, 1.5);
  const b = randomArray(C, seed + 2);
  const dy = randomArray(n, seed + 3);
  const [xt, wt, bt, dyt] = [e.upload(x, shape), e.upload(w, [C]), e.upload(b, [C]), e.upload(dy, shape)];
  const ref = layerNormRef(x, w, b, EPS);
  const out = layerNorm(e, xt, wt, bt, EPS);
  expect(out.mean.shape).toEqual(shape.slice(0, -1));
  const what = `layerNorm [${shape}]`;
  expectClose(await e.read(out.y), ref.y, F32_ROW_REDUCTION, `${what} y`);
  const mean = await e.read(out.mean);
  const rstd = await e.read(out.rstd);
  expectClose(mean, ref.mean, F32_ROW_REDUCTION, `${what} mean`);
  expectClose(rstd, ref.rstd, F32_ROW_REDUCTION, `${what} rstd`);
  // The backward reference takes the GPU's saved stats, so it judges the backward kernel alone.
  const bref = layerNormBackwardRef(x, w, mean, rstd, dy);
  const grads = layerNormBackward(e, xt, wt, out.mean, out.rstd, dyt, { needWeightGrads: true });
  expectClose(await e.read(grads.dx), bref.dx, dxTolerance(dy, w, rstd), `${what} dx`);
  expectClose(await e.read(grads.dWeight!), bref.dWeight, F32_ROW_SUM, `${what} dWeight`);
  expectClose(await e.read(grads.dBias!), bref.dBias, F32_ROW_SUM, `${what} dBias`);
  const dxOnly = layerNormBackward(e, xt, wt, out.mean, out.rstd, dyt);
  expect(dxOnly.dWeight).toBeUndefined();
  expectClose(await e.read(dxOnly.dx), bref.dx, dxTolerance(dy, w, rstd), `${what} dx without weight grads`);
  for (const t of [xt, wt, bt, dyt, out.y, out.mean, out.rstd, grads.dx, grads.dWeight!, grads.dBias!, dxOnly.dx]) t.release();
}

/** weightOffset 1 is Gemma's (1 + w); its weights sit near 0, so they are drawn small there. */
async function checkRmsNorm(e: Engine, shape: number[], seed: number, weightOffset = 0, eps = EPS): Promise<void> {
  const C = shape[shape.length - 1];
  const n = shape.reduce((a, b) => a * b, 1);
  const x = randomArray(n, seed, 2);
  const w = randomArray(C, seed + 1, weightOffset === 0 ? 1.5 : 0.3);
  const dy = randomArray(n, seed + 3);
  const [xt, wt, dyt] = [e.upload(x, shape), e.upload(w, [C]), e.upload(dy, shape)];
  const ref = rmsNormRef(x, w, eps, weightOffset);
  const out = rmsNorm(e, xt, wt, eps, { weightOffset });
  expect(out.rstd.shape).toEqual(shape.slice(0, -1));
  const what = `rmsNorm [${shape}] offset ${weightOffset}`;
  expectClose(await e.read(out.y), ref.y, F32_ROW_REDUCTION, `${what} y`);
  const rstd = await e.read(out.rstd);
  expectClose(rstd, ref.rstd, F32_ROW_REDUCTION, `${what} rstd`);
  const bref = rmsNormBackwardRef(x, w, rstd, dy, weightOffset);
  const grads = rmsNormBackward(e, xt, wt, out.rstd, dyt, { needWeightGrads: true, weightOffset });
  expectClose(await e.read(grads.dx), bref.dx, dxTolerance(dy, w, rstd, weightOffset), `${what} dx`);
  expectClose(await e.read(grads.dWeight!), bref.dWeight, F32_ROW_SUM, `${what} dWeight`);
  for (const t of [xt, wt, dyt, out.y, out.rstd, grads.dx, grads.dWeight!]) t.release();
}

describe('norms against the float64 reference', () => {
  for (const C of COLS) {
    it(`layerNorm and rmsNorm forward and backward, rows ${ROWS.join('/')}, C=${C}`, async () => {
      const e = await testEngine();
      for (const rows of ROWS) {
        await checkLayerNorm(e, [rows, C], rows * 1000 + C);
        await checkRmsNorm(e, [rows, C], rows * 1000 + C);
      }
    });
  }

  it('batched rows [2, 5, C] and a row much wider than the workgroup (C = 2049)', async () => {
    const e = await testEngine();
    for (const shape of [[2, 5, 33], [3, 2049]]) {
      await checkLayerNorm(e, shape, 77);
      await checkRmsNorm(e, shape, 78);
    }
  });

  it('QK-norm layout: q [B, T, heads, head_dim] with a [head_dim] weight, each head of each token a row (Qwen3 0.6B: 16 heads of 128)', async () => {
    const e = await testEngine();
    await checkRmsNorm(e, [2, 5, 16, 128], 81);
    await checkRmsNorm(e, [1, 7, 3, 33], 82);
  });

  it("Gemma's (1 + w) scaling with its eps 1e-6, as the block norm [B, T, C] and as the QK-norm [B, T, heads, 256]", async () => {
    const e = await testEngine();
    for (const C of [1, 7, 640]) await checkRmsNorm(e, [2, 3, C], 83 + C, 1, 1e-6);
    await checkRmsNorm(e, [1, 5, 4, 256], 84, 1, 1e-6);
  });

  it('more rows than one grid dimension holds (65537 rows: a [32769, 2] grid with one idle workgroup)', async () => {
    const e = await testEngine();
    const [rows, C] = [65537, 1];
    const x = randomArray(rows * C, 91, 2);
    const w = randomArray(C, 92);
    const out = rmsNorm(e, e.upload(x, [rows, C]), e.upload(w, [C]), EPS);
    expectClose(await e.read(out.y), rmsNormRef(x, w, EPS).y, F32_ROW_REDUCTION, 'rmsNorm y');
  });

  it('rejects mismatched shapes, naming the argument', async () => {
    const e = await testEngine();
    const x = e.zeros([3, 4]);
    const w = e.zeros([5]);
    expect(() => layerNorm(e, x, w, w)).toThrow(/weight has shape \[5\], expected \[4\]/);
    const w4 = e.zeros([4]);
    const { rstd } = rmsNorm(e, x, w4, EPS);
    expect(() => rmsNormBackward(e, x, w4, rstd, e.zeros([4, 3]))).toThrow(/dy has shape \[4, 3\]/);
    expect(() => layerNormBackward(e, x, w4, w4, rstd, x)).toThrow(/mean has shape \[4\]/);
    expect(() => rmsNorm(e, x, w4, EPS, { weightOffset: NaN })).toThrow(/weightOffset = NaN/);
  });
});

describe('norm backward references against central finite differences (float64)', () => {
  const C = 7;
  const x = randomArray(3 * C, 11, 2);
  const w = randomArray(C, 12, 1.5);
  const b = randomArray(C, 13);
  const probe = randomArray(3 * C, 14);
  const FD = { rtol: 1e-7 };

  it('layerNorm: dx, dWeight, dBias', () => {
    const { mean, rstd } = layerNormRef(x, w, b, EPS);
    const ref = layerNormBackwardRef(x, w, mean, rstd, probe);
    expectClose(ref.dx, finiteDifferenceGradient((v) => weightedSum(layerNormRef(v, w, b, EPS).y, probe), x), FD, 'dx');
    expectClose(ref.dWeight, finiteDifferenceGradient((v) => weightedSum(layerNormRef(x, v, b, EPS).y, probe), w), FD, 'dWeight');
    expectClose(ref.dBias, finiteDifferenceGradient((v) => weightedSum(layerNormRef(x, w, v, EPS).y, probe), b), FD, 'dBias');
  });

  it('rmsNorm: dx, dWeight', () => {
    const { rstd } = rmsNormRef(x, w, EPS);
    const ref = rmsNormBackwardRef(x, w, rstd, probe);
    expectClose(ref.dx, finiteDifferenceGradient((v) => weightedSum(rmsNormRef(v, w, EPS).y, probe), x), FD, 'dx');
    expectClose(ref.dWeight, finiteDifferenceGradient((v) => weightedSum(rmsNormRef(x, v, EPS).y, probe), w), FD, 'dWeight');
  });

  it("rmsNorm with Gemma's (1 + w): dx, dWeight", () => {
    const { rstd } = rmsNormRef(x, w, EPS, 1);
    const ref = rmsNormBackwardRef(x, w, rstd, probe, 1);
    expectClose(ref.dx, finiteDifferenceGradient((v) => weightedSum(rmsNormRef(v, w, EPS, 1).y, probe), x), FD, 'dx');
    expectClose(ref.dWeight, finiteDifferenceGradient((v) => weightedSum(rmsNormRef(x, v, EPS, 1).y, probe), w), FD, 'dWeight');
  });
});
