import { describe, expect, it, vi } from 'vitest';
import { matmul, matmulBackward, matmulFlops, MATMUL_TILINGS, type MatmulTiling } from './matmul';
import { matmulBackwardRef, matmulRef } from '../reference/matmul';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { expectClose } from '../testing/compare';
import { finiteDifferenceGradient, weightedSum } from '../testing/finite-diff';
import { testEngine } from '../testing/gpu';
import { randomArray } from '../random';

// f32 dot products of length K <= 129 (or a batch sum of a few of them) of terms in [-1, 1): the
// rounding error random-walks to about sqrt(K) * 6e-8 of the terms' magnitude, a few 1e-7 of the
// largest output; 1e-5 leaves room for the worst case and still catches any misplaced element,
// which is off by the size of a whole term.
const F32_DOT = { rtol: 1e-5 };
// f16 weights are rounded to f16 before the reference sees them too, so only f32 accumulation differs.
const F16_WEIGHTS = F32_DOT;
const TRANSPOSES = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

const dims = (batch: number[], rows: number, cols: number, trans: boolean) => [...batch, ...(trans ? [cols, rows] : [rows, cols])];
const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

interface Case {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly batchA?: number[];
  readonly batchB?: number[];
  readonly transA?: boolean;
  readonly transB?: boolean;
  readonly bias?: boolean;
  readonly alpha?: number;
  readonly tiling?: MatmulTiling;
}

async function checkForward(e: Engine, c: Case, seed: number): Promise<void> {
  const aShape = dims(c.batchA ?? [], c.m, c.k, c.transA ?? false);
  const bShape = dims(c.batchB ?? [], c.k, c.n, c.transB ?? false);
  const a = randomArray(size(aShape), seed);
  const b = randomArray(size(bShape), seed + 1);
  const bias = c.bias ? randomArray(c.n, seed + 2) : undefined;
  const [at, bt] = [e.upload(a, aShape), e.upload(b, bShape)];
  const biasT = bias && e.upload(bias, [c.n]);
  const got = matmul(e, at, bt, { transA: c.transA, transB: c.transB, alpha: c.alpha, bias: biasT, tiling: c.tiling });
  const ref = matmulRef(a, aShape, b, bShape, { transA: c.transA, transB: c.transB, alpha: c.alpha, bias });
  expect(got.shape).toEqual(ref.shape);
  expectClose(await e.read(got), ref.data, F32_DOT, `matmul ${JSON.stringify(c)}`);
  for (const t of [at, bt, biasT, got]) t?.release();
}

describe('matmul against the float64 reference', () => {
  const SIZES = [
    [1, 1, 1],
    [7, 33, 129],
    [33, 129, 7],
    [129, 7, 33],
    [129, 129, 1],
    [1, 129, 129],
    // Remainders 2 and 0 modulo 4, the tile loads' quad width: a partial quad at every edge, and none.
    [6, 10, 18],
    [8, 12, 16],
  ];
  for (const [m, n, k] of SIZES) {
    it(`M=${m} N=${n} K=${k}, all four transpose combinations`, async () => {
      const e = await testEngine();
      for (const [transA, transB] of TRANSPOSES) await checkForward(e, { m, n, k, transA, transB }, m + n + k);
    });
  }

  it('batched on both sides, with bias and alpha, all transposes', async () => {
    const e = await testEngine();
    for (const [transA, transB] of TRANSPOSES) {
      await checkForward(e, { m: 33, n: 7, k: 17, batchA: [3], batchB: [3], transA, transB, bias: true, alpha: 0.125 }, 11);
    }
  });

  it('several leading dimensions, as attention heads', async () => {
    const e = await testEngine();
    await checkForward(e, { m: 7, n: 7, k: 5, batchA: [2, 3], batchB: [2, 3], transB: true }, 12);
  });

  it('broadcasts a 2-D operand over the batches of the other', async () => {
    const e = await testEngine();
    for (const [transA, transB] of TRANSPOSES) {
      await checkForward(e, { m: 7, n: 33, k: 9, batchA: [3], transA, transB, bias: true }, 13);
      await checkForward(e, { m: 7, n: 33, k: 9, batchB: [3], transA, transB }, 14);
    }
  });

  it('gives the same result under the default tilings and an uneven one', async () => {
    const e = await testEngine();
    // Not square, threadM != threadN, tileK below the defaults'. The other benchmark candidates
    // differ only in these constants and take seconds each to compile on lavapipe.
    const odd: MatmulTiling = { tileM: 16, tileN: 32, tileK: 4, threadM: 2, threadN: 4 };
    for (const tiling of [MATMUL_TILINGS.large, MATMUL_TILINGS.small, MATMUL_TILINGS.wide, MATMUL_TILINGS.rows, odd]) {
      await checkForward(e, { m: 70, n: 65, k: 33, batchA: [2], transB: true, bias: true, tiling }, 15);
    }
  });

  it('loads operands whose rows are multiples of 4 as 4-vectors, alone or together, batched and at an offset', async () => {
    const e = await testEngine();
    const run = vi.spyOn(e, 'run');
    const variant = () => run.mock.calls.at(-1)![0].name;
    // K = 12 and N = 20 are multiples of 4, M = 33 is not: A is vectorised unless transposed (its rows
    // then have M elements), B always; the quads still meet ragged edges along M.
    const expected = ['matmul_vec4AB', 'matmul_vec4AB', 'matmul_vec4B', 'matmul_vec4B'];
    for (const [i, [transA, transB]] of TRANSPOSES.entries()) {
      await checkForward(e, { m: 33, n: 20, k: 12, transA, transB }, 15);
      expect(variant(), `transA=${transA} transB=${transB}`).toBe(expected[i]);
    }
    await checkForward(e, { m: 5, n: 12, k: 8, batchA: [3], batchB: [3], bias: true }, 16);
    expect(variant()).toBe('matmul_bias_vec4AB');
    // Packed tensors start at the binding-offset alignment, past the first one.
    const [, a] = e.zerosGroup([[3], [9, 8]]);
    const x = randomArray(72, 17);
    const w = randomArray(8 * 16, 18);
    e.write(a, x);
    const got = matmul(e, a, e.upload(w, [16, 8]), { transB: true });
    expect(a.byteOffset).toBeGreaterThan(0);
    expect(variant()).toBe('matmul_vec4AB');
    expectClose(await e.read(got), matmulRef(x, [9, 8], w, [16, 8], { transB: true }).data, F32_DOT, 'packed operand');
    run.mockRestore();
  });

  it('writes into out, and accumulates into it', async () => {
    const e = await testEngine();
    const [m, n, k] = [33, 7, 129];
    const a = randomArray(2 * m * k, 21);
    const b = randomArray(k * n, 22);
    const start = randomArray(2 * m * n, 23);
    const [at, bt] = [e.upload(a, [2, m, k]), e.upload(b, [k, n])];
    const out = e.upload(start, [2, m, n]);
    const ref = matmulRef(a, [2, m, k], b, [k, n], { alpha: -0.5 }).data;
    expect(matmul(e, at, bt, { out, alpha: -0.5, accumulate: true })).toBe(out);
    expectClose(await e.read(out), ref.map((v, i) => v + start[i]), F32_DOT, 'accumulate');
    matmul(e, at, bt, { out, alpha: -0.5 });
    expectClose(await e.read(out), ref, F32_DOT, 'overwrite');
  });

  it('is bias (or zero) when K = 0', async () => {
    const e = await testEngine();
    const bias = randomArray(5, 24);
    const c = matmul(e, e.zeros([3, 0]), e.zeros([0, 5]), { bias: e.upload(bias, [5]) });
    expectClose(await e.read(c), [...bias, ...bias, ...bias], { rtol: 0 });
  });

  it('names the offending argument and its shape', async () => {
    const e = await testEngine();
    const a = e.zeros([2, 3, 4]);
    expect(() => matmul(e, a, e.zeros([5, 6]))).toThrow(/a \[2, 3, 4\] has K = 4 but b \[5, 6\] has K = 5/);
    expect(() => matmul(e, a, e.zeros([3, 4, 6]))).toThrow(/batch dimensions of a \[2, 3, 4\] and b \[3, 4, 6\] differ/);
    expect(() => matmul(e, a, e.zeros([4, 6]), { bias: e.zeros([5]) })).toThrow(/bias has shape \[5\], expected \[6\]/);
    expect(() => matmul(e, a, e.zeros([4, 6]), { out: e.zeros([3, 6]) })).toThrow(ShapeError);
    expect(() => matmul(e, a, e.zeros([4, 6]), { accumulate: true })).toThrow(/accumulate needs out/);
    expect(() => matmul(e, a, e.zeros([4]))).toThrow(/b has shape \[4\], expected at least 2 dimensions/);
  });

  it('counts 2 flops per multiply-add', () => {
    expect(matmulFlops(2, 3, 4, 5)).toBe(240);
  });
});

describe('matmul backward against the float64 reference', () => {
  const CASES: { name: string; batchA: number[]; batchB: number[] }[] = [
    { name: '2-D', batchA: [], batchB: [] },
    { name: 'batched', batchA: [3], batchB: [3] },
    { name: 'b shared by the batches (weights)', batchA: [3], batchB: [] },
    { name: 'a shared by the batches', batchA: [], batchB: [3] },
  ];
  for (const { name, batchA, batchB } of CASES) {
    it(`${name}, all transposes, all gradients`, async () => {
      const e = await testEngine();
      const [m, n, k] = [9, 33, 7];
      const alpha = 0.5;
      for (const [transA, transB] of TRANSPOSES) {
        const aShape = dims(batchA, m, k, transA);
        const bShape = dims(batchB, k, n, transB);
        const cShape = [...(batchA.length ? batchA : batchB), m, n];
        const [a, b, dC] = [randomArray(size(aShape), 31), randomArray(size(bShape), 32), randomArray(size(cShape), 33)];
        const [at, bt, dCt] = [e.upload(a, aShape), e.upload(b, bShape), e.upload(dC, cShape)];
        const got = matmulBackward(e, at, bt, dCt, { transA, transB, alpha, needBias: true });
        const ref = matmulBackwardRef(a, aShape, b, bShape, dC, { transA, transB, alpha });
        const what = `${name} transA=${transA} transB=${transB}`;
        expect(got.dA!.shape).toEqual(aShape);
        expect(got.dB!.shape).toEqual(bShape);
        expectClose(await e.read(got.dA!), ref.dA, F32_DOT, `${what} dA`);
        expectClose(await e.read(got.dB!), ref.dB, F32_DOT, `${what} dB`);
        expectClose(await e.read(got.dBias!), ref.dBias, F32_DOT, `${what} dBias`);
      }
    });
  }

  it('accumulates the weight gradient of micro-batches into dBOut and skips unwanted gradients', async () => {
    const e = await testEngine();
    const [m, n, k] = [17, 7, 33];
    const w = randomArray(n * k, 41);
    const wt = e.upload(w, [n, k]);
    const dBOut = e.zeros([n, k]);
    const expected = new Float64Array(n * k);
    for (let step = 0; step < 2; step++) {
      const x = randomArray(2 * m * k, 42 + step);
      const dY = randomArray(2 * m * n, 44 + step);
      const [xt, dYt] = [e.upload(x, [2, m, k]), e.upload(dY, [2, m, n])];
      const got = matmulBackward(e, xt, wt, dYt, { transB: true, needA: false, dBOut, accumulateB: true });
      expect(got.dA).toBeUndefined();
      expect(got.dBias).toBeUndefined();
      expect(got.dB).toBe(dBOut);
      matmulBackwardRef(x, [2, m, k], w, [n, k], dY, { transB: true }).dB.forEach((v, i) => (expected[i] += v));
    }
    expectClose(await e.read(dBOut), expected, F32_DOT, 'accumulated dW');
  });
});

describe('f16 weights', () => {
  it('match the reference on f16-rounded weights, when the adapter has shader-f16', async (ctx) => {
    const e = await testEngine();
    if (!e.features.shaderF16) ctx.skip();
    // K = 64: both operands loaded as 4-vectors (of f16 for the weight); K = 65: element by element.
    for (const k of [65, 64]) await checkHalfWeights(e, 33, 7, k);
  });
});

async function checkHalfWeights(e: Engine, m: number, n: number, k: number): Promise<void> {
  const x = randomArray(2 * m * k, 51);
  const w = randomArray(n * k, 52);
  const wt = e.upload(w, [n, k], 'f16');
  const wRounded = await e.read(wt);
  const xt = e.upload(x, [2, m, k]);
  expectClose(await e.read(matmul(e, xt, wt, { transB: true })), matmulRef(x, [2, m, k], wRounded, [n, k], { transB: true }).data, F16_WEIGHTS, 'f16 forward');
  const dY = randomArray(2 * m * n, 53);
  const got = matmulBackward(e, xt, wt, e.upload(dY, [2, m, n]), { transB: true });
  const ref = matmulBackwardRef(x, [2, m, k], wRounded, [n, k], dY, { transB: true });
  expectClose(await e.read(got.dA!), ref.dA, F16_WEIGHTS, 'f16 dX');
  expectClose(await e.read(got.dB!), ref.dB, F16_WEIGHTS, 'f16 dW');
}

describe('matmul backward reference against central finite differences (float64)', () => {
  const FD = { rtol: 1e-7 };
  for (const [transA, transB] of TRANSPOSES) {
    it(`transA=${transA} transB=${transB}, b shared by 2 batches, bias and alpha`, () => {
      const [m, n, k] = [3, 4, 5];
      const aShape = dims([2], m, k, transA);
      const bShape = dims([], k, n, transB);
      const [a, b, bias, w] = [randomArray(2 * m * k, 61), randomArray(k * n, 62), randomArray(n, 63), randomArray(2 * m * n, 64)];
      const opts = { transA, transB, alpha: 0.7 };
      const loss = (x: Float64Array, y: Float64Array, z: Float64Array) => weightedSum(matmulRef(x, aShape, y, bShape, { ...opts, bias: z }).data, w);
      const ref = matmulBackwardRef(a, aShape, b, bShape, w, opts);
      expectClose(ref.dA, finiteDifferenceGradient((v) => loss(v, b, bias), a), FD, 'dA');
      expectClose(ref.dB, finiteDifferenceGradient((v) => loss(a, v, bias), b), FD, 'dB');
      expectClose(ref.dBias, finiteDifferenceGradient((v) => loss(a, b, v), bias), FD, 'dBias');
    });
  }
});
