import { describe, expect, it } from 'vitest';
import { matmulBiasGelu, MATMUL_TILINGS, type MatmulTiling } from './matmul';
import { geluRef } from '../reference/activation';
import { matmulRef } from '../reference/matmul';
import { ShapeError } from '../errors';
import { expectClose } from '../testing/compare';
import { testEngine } from '../testing/gpu';
import { randomArray } from '../random';
import type { Engine } from '../engine';

// As matmul.test.ts: f32 dot products of K <= 129 terms in [-1, 1); GELU's slope is at most 1.13,
// so the activation's error stays within the same bound.
const F32_DOT = { rtol: 1e-5 };

async function check(e: Engine, batch: number[], m: number, n: number, k: number, keepPre: boolean, tiling: MatmulTiling | undefined, seed: number): Promise<void> {
  const rows = batch.reduce((p, d) => p * d, 1) * m;
  const a = randomArray(rows * k, seed);
  // Scaled so the pre-activations span GELU's curved part and both tails.
  const b = randomArray(k * n, seed + 1).map((v) => v * 0.5);
  const bias = randomArray(n, seed + 2);
  const [at, bt, biasT] = [e.upload(a, [...batch, m, k]), e.upload(b, [k, n]), e.upload(bias, [n])];
  const { act, pre } = matmulBiasGelu(e, at, bt, biasT, { keepPre, tiling });
  const preRef = matmulRef(a, [...batch, m, k], b, [k, n], { bias });
  const what = `gelu(x W + b) ${JSON.stringify({ batch, m, n, k, keepPre, tiling })}`;
  expect(act.shape).toEqual(preRef.shape);
  expectClose(await e.read(act), geluRef(preRef.data), F32_DOT, what);
  if (keepPre) {
    expect(pre!.shape).toEqual(preRef.shape);
    expectClose(await e.read(pre!), preRef.data, F32_DOT, `pre-activation of ${what}`);
  } else {
    expect(pre).toBeNull();
  }
  for (const t of [at, bt, biasT, act, pre]) t?.release();
}

describe('matmul with the bias + GELU epilogue against the float64 reference', () => {
  it('odd shapes, with and without the pre-activation kept', async () => {
    const e = await testEngine();
    for (const [m, n, k] of [
      [1, 1, 1],
      [7, 33, 129],
      [33, 129, 7],
    ]) {
      await check(e, [], m, n, k, false, undefined, m + n + k);
      await check(e, [], m, n, k, true, undefined, m + n + k + 1);
    }
  });

  it('batched activations [B, T, C] against a shared weight, under the default tilings and an uneven one', async () => {
    const e = await testEngine();
    const odd: MatmulTiling = { tileM: 16, tileN: 32, tileK: 4, threadM: 2, threadN: 4 };
    for (const tiling of [MATMUL_TILINGS.wide, MATMUL_TILINGS.rows, MATMUL_TILINGS.small, odd]) await check(e, [2], 35, 65, 33, true, tiling, 7);
  });

  it('refuses a batched weight', async () => {
    const e = await testEngine();
    expect(() => matmulBiasGelu(e, e.zeros([2, 3, 4]), e.zeros([2, 4, 5]), e.zeros([5]))).toThrow(ShapeError);
  });
});
