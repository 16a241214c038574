import { describe, expect, it } from 'vitest';
import { attention, attentionBackward, attentionFlops, attentionProbs } from './attention';
import { attentionBackwardRef, attentionFullRef, attentionProbsRef, attentionRef, firstKeyRef, type AttentionDims } from '../reference/attention';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { expectClose } from '../testing/compare';
import { finiteDifferenceGradient, weightedSum } from '../testing/finite-diff';
import { testEngine } from '../testing/gpu';
import { keyMaskFor } from '../testing/key-masks';
import { randomArray } from '../random';

// Scores are f32 dot products of length D and the output a softmax-weighted sum over up to T keys: both
// accumulate about (D + T) * 6e-8 relative error in the worst case, ~6e-6 for D, T <= 64; exp turns the
// absolute score error (scores are O(1) here) into the same relative error of each probability.
// Observed: up to 6e-7.
const F32_FORWARD = { rtol: 1e-5, atol: 1e-7 };
// The backward chains three such sums (scores, dP = dO . v and the row sum delta, then dq / dk / dv over
// T rows and the GQA group): same order as the forward (observed up to 6e-7). dS = P (dP - delta)
// cancels exactly when a row sees a single key (T = 1), where the exact gradient is 0 and f32 leaves
// eps * |dP| * |k| ~ 2e-7 (observed): hence an absolute floor, not a looser rtol.
const F32_BACKWARD = { rtol: 2e-5, atol: 1e-6 };
// A probability row sums to 1 up to the f32 error of lse and of T exponentials.
const ROW_SUM_TOL = 1e-5;
// Float64 central differences (h = 1e-5) agree with an exact gradient to ~1e-10 relative; see finite-diff.ts.
const FD = { rtol: 1e-7 };

/** The last real token of each sequence (ABFT's query row) and the middle position, which may be padding. */
function chosenRows(mask: Int32Array, B: number, T: number): Int32Array {
  const rows = new Int32Array(B * 2);
  for (let b = 0; b < B; b++) {
    let last = T - 1;
    while (last > 0 && !mask[b * T + last]) last--;
    rows[b * 2] = last;
    rows[b * 2 + 1] = Math.floor(T / 2);
  }
  return rows;
}

async function checkAgainstReference(e: Engine, dims: AttentionDims, mask: Int32Array, rows: Int32Array, seed: number): Promise<void> {
  const { B, T, Hq, Hkv, D } = dims;
  const R = rows.length / B;
  const q = randomArray(B * T * Hq * D, seed, 2);
  const k = randomArray(B * T * Hkv * D, seed + 1, 2);
  const v = randomArray(B * T * Hkv * D, seed + 2);
  const dOut = randomArray(B * T * Hq * D, seed + 3);
  const grad = randomArray(B * Hq * R * T, seed + 4);
  const [qt, kt, vt] = [e.upload(q, [B, T, Hq, D]), e.upload(k, [B, T, Hkv, D]), e.upload(v, [B, T, Hkv, D])];
  const maskT = e.upload(mask, [B, T], 'i32');
  const rowsT = e.upload(rows, [B, R], 'i32');
  const dOutT = e.upload(dOut, [B, T, Hq, D]);
  const gradT = e.upload(grad, [B, Hq, R, T]);
  const opts = { scale: dims.scale, window: dims.window };

  const { out, lse } = attention(e, qt, kt, vt, maskT, opts);
  const ref = attentionRef(q, k, v, mask, dims);
  expectClose(await e.read(out), ref.out, F32_FORWARD, 'out');
  expectClose(await e.read(lse), ref.lse, F32_FORWARD, 'lse');

  const probs = await e.read(attentionProbs(e, qt, kt, lse, maskT, rowsT, opts));
  expectClose(probs, attentionProbsRef(q, k, mask, rows, dims), F32_FORWARD, 'probs');
  for (let row = 0; row < B * Hq * R; row++) {
    const b = Math.floor(row / (Hq * R));
    const i = rows[b * R + (row % R)];
    const sees = mask.subarray(b * T + firstKeyRef(i, dims), b * T + i + 1).some((m) => m !== 0);
    let sum = 0;
    for (let j = 0; j < T; j++) sum += probs[row * T + j];
    expect(Math.abs(sum - (sees ? 1 : 0)), `probability row ${row} sums to ${sum}`).toBeLessThan(ROW_SUM_TOL);
  }

  const variants = { dOut: { dOut: true, grad: false }, probsGrad: { dOut: false, grad: true }, both: { dOut: true, grad: true } };
  for (const [name, use] of Object.entries(variants)) {
    const got = attentionBackward(
      e,
      { q: qt, k: kt, v: vt, out, lse, keyMask: maskT, dOut: use.dOut ? dOutT : undefined, probsGrad: use.grad ? { rows: rowsT, grad: gradT } : undefined },
      opts,
    );
    const want = attentionBackwardRef({ q, k, v, keyMask: mask, dOut: use.dOut ? dOut : undefined, probsGrad: use.grad ? { rows, grad } : undefined }, dims);
    expectClose(await e.read(got.dq), want.dq, F32_BACKWARD, `dq (${name})`);
    expectClose(await e.read(got.dk), want.dk, F32_BACKWARD, `dk (${name})`);
    expectClose(await e.read(got.dv), want.dv, F32_BACKWARD, `dv (${name})`);
    for (const t of [got.dq, got.dk, got.dv]) t.release();
  }
  for (const t of [qt, kt, vt, maskT, rowsT, dOutT, gradT, out, lse]) t.release();
}

describe('attention against the float64 reference', () => {
  let seed = 1;
  for (const T of [1, 7, 33]) {
    for (const Hkv of [4, 2, 1]) {
      for (const D of [8, 16]) {
        for (const padding of ['none', 'left', 'right'] as const) {
          const s = (seed += 10);
          it(`B=2 T=${T} Hq=4 Hkv=${Hkv} D=${D}, ${padding} padding`, async () => {
            const e = await testEngine();
            const mask = keyMaskFor(2, T, padding);
            await checkAgainstReference(e, { B: 2, T, Hq: 4, Hkv, D }, mask, chosenRows(mask, 2, T), s);
          });
        }
      }
    }
  }

  it('D=64, T=33, GQA 4:2, left padding, a set scale', async () => {
    const e = await testEngine();
    const mask = keyMaskFor(2, 33, 'left');
    await checkAgainstReference(e, { B: 2, T: 33, Hq: 4, Hkv: 2, D: 64, scale: 0.2 }, mask, chosenRows(mask, 2, 33), 7);
  });

  it('D=128 (Qwen3, 15-row tiles), T=20, GQA 4:1, right padding', async () => {
    const e = await testEngine();
    const mask = keyMaskFor(2, 20, 'right');
    await checkAgainstReference(e, { B: 2, T: 20, Hq: 4, Hkv: 1, D: 128 }, mask, chosenRows(mask, 2, 20), 9);
  });

  it("D=256 (the largest head dimension, Gemma 3's; 7-row tiles) with Gemma's scale 256 ** -0.5 and a window, T=20, GQA 4:1", async () => {
    const e = await testEngine();
    const mask = keyMaskFor(2, 20, 'left');
    await checkAgainstReference(e, { B: 2, T: 20, Hq: 4, Hkv: 1, D: 256, scale: 256 ** -0.5, window: 6 }, mask, chosenRows(mask, 2, 20), 10);
  });

  // Gemma 3's local layers: window 1 sees only the query itself; with right padding the rows past the
  // last real token see nothing once their window holds only padding. T = 70 with D = 64 (31-row tiles)
  // starts the key tiles of the second workgroup past 0, off a tile boundary, and ends dk/dv's query
  // loop before the last row.
  for (const [T, D, window, padding] of [
    [33, 16, 1, 'left'],
    [33, 16, 5, 'right'],
    [33, 8, 32, 'none'],
    [70, 64, 40, 'right'],
    [70, 8, 7, 'left'],
  ] as const) {
    it(`sliding window ${window}, T=${T} D=${D} GQA 4:2, ${padding} padding`, async () => {
      const e = await testEngine();
      const mask = keyMaskFor(2, T, padding);
      await checkAgainstReference(e, { B: 2, T, Hq: 4, Hkv: 2, D, window }, mask, chosenRows(mask, 2, T), T + D + window);
    });
  }

  it('a window of T or more is full causal attention', async () => {
    const e = await testEngine();
    const [B, T, H, D] = [1, 9, 2, 8];
    const [q, k] = [e.upload(randomArray(B * T * H * D, 51), [B, T, H, D]), e.upload(randomArray(B * T * H * D, 52), [B, T, H, D])];
    const mask = e.upload(keyMaskFor(B, T, 'none'), [B, T], 'i32');
    const full = await e.read(attention(e, q, k, k, mask).out);
    expect(await e.read(attention(e, q, k, k, mask, { window: T }).out)).toEqual(full);
    expect(await e.read(attention(e, q, k, k, mask, { window: 1000 }).out)).toEqual(full);
    expect(() => attention(e, q, k, k, mask, { window: -1 })).toThrow(/window = -1/);
    expect(() => attention(e, q, k, k, mask, { window: 2.5 })).toThrow(/window = 2.5/);
  });

  it('B=3 with T past one workgroup (T=70) and duplicate chosen rows', async () => {
    const e = await testEngine();
    const mask = keyMaskFor(3, 70, 'right');
    const rows = Int32Array.from([69, 69, 5, 12, 40, 40]);
    await checkAgainstReference(e, { B: 3, T: 70, Hq: 2, Hkv: 1, D: 8 }, mask, rows, 11);
  });

  it('returns every row of chosen heads only (the explorer\'s T x T view of one head), zeros for a head out of range', async () => {
    const e = await testEngine();
    const dims: AttentionDims = { B: 2, T: 9, Hq: 4, Hkv: 2, D: 8 };
    const { B, T, Hq, Hkv, D } = dims;
    const mask = Int32Array.from({ length: B * T }, (_, i) => (i >= T && i < T + 2 ? 0 : 1));
    const [q, k, v] = [randomArray(B * T * Hq * D, 31, 2), randomArray(B * T * Hkv * D, 32, 2), randomArray(B * T * Hkv * D, 33)];
    const [qt, kt, maskT] = [e.upload(q, [B, T, Hq, D]), e.upload(k, [B, T, Hkv, D]), e.upload(mask, [B, T], 'i32')];
    const { lse } = attention(e, qt, kt, e.upload(v, [B, T, Hkv, D]), maskT);
    const allRows = e.upload(Int32Array.from({ length: B * T }, (_, i) => i % T), [B, T], 'i32');
    const heads = [3, 0, Hq];
    const probs = attentionProbs(e, qt, kt, lse, maskT, allRows, { heads: e.upload(heads, [3], 'i32') });
    expect(probs.shape).toEqual([B, 3, T, T]);
    const full = attentionFullRef(q, k, mask, dims).probs;
    const expected = new Float64Array(B * 3 * T * T);
    heads.forEach((h, slot) => {
      if (h >= Hq) return;
      for (let b = 0; b < B; b++) expected.set(full.subarray((b * Hq + h) * T * T, (b * Hq + h + 1) * T * T), (b * 3 + slot) * T * T);
    });
    expectClose(await e.read(probs), expected, F32_FORWARD, 'probabilities of heads [3, 0, out of range]');
  });

  it('fully masked rows and sequences stay finite: zero output, zero probabilities, zero gradients', async () => {
    const e = await testEngine();
    const [B, T, H, D] = [2, 5, 2, 8];
    const mask = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    const rows = Int32Array.from([4, -1, 1, 5]);
    const q = e.upload(randomArray(B * T * H * D, 3, 2), [B, T, H, D]);
    const k = e.upload(randomArray(B * T * H * D, 4, 2), [B, T, H, D]);
    const v = e.upload(randomArray(B * T * H * D, 5), [B, T, H, D]);
    const keyMask = e.upload(mask, [B, T], 'i32');
    const rowsT = e.upload(rows, [B, 2], 'i32');
    const { out, lse } = attention(e, q, k, v, keyMask);
    const probs = attentionProbs(e, q, k, lse, keyMask, rowsT);
    const grads = attentionBackward(e, {
      q,
      k,
      v,
      out,
      lse,
      keyMask,
      dOut: e.upload(randomArray(B * T * H * D, 6), [B, T, H, D]),
      probsGrad: { rows: rowsT, grad: e.upload(randomArray(B * H * 2 * T, 7), [B, H, 2, T]) },
    });
    const outs = { out: Float32Array.from(await e.read(out)), lse: await e.read(lse), probs: await e.read(probs) };
    const gs = { dq: await e.read(grads.dq), dk: await e.read(grads.dk), dv: await e.read(grads.dv) };
    for (const [name, a] of Object.entries({ ...outs, ...gs })) expect(a.every(Number.isFinite), `${name} finite`).toBe(true);
    // Sequence 0 is all padding; in sequence 1 queries 0 and 1 see no key.
    const rowOf = (a: Float32Array, b: number, t: number) => a.subarray(((b * T + t) * H) * D, ((b * T + t + 1) * H) * D);
    for (const t of [0, 1, 2, 3, 4]) expect(rowOf(outs.out, 0, t).every((x) => x === 0)).toBe(true);
    for (const t of [0, 1]) expect(rowOf(outs.out, 1, t).every((x) => x === 0)).toBe(true);
    expect(outs.probs.subarray(0, 2 * 2 * T).every((x) => x === 0), 'all-padding sequence and row -1').toBe(true);
    expect(outs.probs.subarray(2 * 2 * T).some((x) => x !== 0), 'row 1 of sequence 1 sees no key, row 5 is out of range').toBe(false);
    for (const g of Object.values(gs)) expect(g.subarray(0, T * H * D).every((x) => x === 0)).toBe(true);
  });

  it('names the offending argument and its shape', async () => {
    const e = await testEngine();
    const q = e.zeros([1, 4, 3, 8]);
    const k = e.zeros([1, 4, 2, 8]);
    const mask = e.zeros([1, 4], 'i32');
    expect(() => attention(e, q, k, k, mask)).toThrow(ShapeError);
    expect(() => attention(e, q, k, k, mask)).toThrow(/q has 3 heads \(shape \[1, 4, 3, 8\]\)/);
    const q2 = e.zeros([1, 4, 2, 8]);
    expect(() => attention(e, q2, k, k, e.zeros([1, 5], 'i32'))).toThrow(/keyMask has shape \[1, 5\], expected \[1, 4\]/);
    expect(() => attention(e, q2, k, k, e.zeros([1, 4]))).toThrow(/keyMask has dtype f32/);
  });

  it('counts FLOPs over the causal pairs', async () => {
    const e0 = await testEngine();
    expect(() => attention(e0, e0.zeros([1, 1, 1, 257]), e0.zeros([1, 1, 1, 257]), e0.zeros([1, 1, 1, 257]), e0.zeros([1, 1], 'i32'))).toThrow(/outside 1..256/);
    expect(attentionFlops(1, 2, 1, 4)).toEqual({ forward: 4 * 4 * 3, backward: 10 * 4 * 3 });
    // Window 2 over T = 4: rows see 1, 2, 2, 2 keys.
    expect(attentionFlops(1, 4, 1, 1, 2)).toEqual({ forward: 4 * 7, backward: 10 * 7 });
  });
});

describe.each([0, 2])('attention backward reference against central finite differences (float64), window %i', (window) => {
  // Sequence 0 left-padded, sequence 1 right-padded; sequence 1 chooses row 2 twice.
  const dims: AttentionDims = { B: 2, T: 4, Hq: 2, Hkv: 1, D: 3, scale: 0.7, window };
  const mask = Int32Array.from([0, 1, 1, 1, 1, 1, 1, 0]);
  const rows = Int32Array.from([3, 1, 2, 2]);
  const q = randomArray(2 * 4 * 2 * 3, 21, 2);
  const k = randomArray(2 * 4 * 1 * 3, 22, 2);
  const v = randomArray(2 * 4 * 1 * 3, 23);
  const wOut = randomArray(q.length, 24);
  const wProbs = randomArray(2 * 2 * 2 * 4, 25);
  const loss = (qq: Float64Array, kk: Float64Array, vv: Float64Array, useOut: boolean, useProbs: boolean) =>
    (useOut ? weightedSum(attentionRef(qq, kk, vv, mask, dims).out, wOut) : 0) +
    (useProbs ? weightedSum(attentionProbsRef(qq, kk, mask, rows, dims), wProbs) : 0);

  for (const [name, useOut, useProbs] of [
    ['dOut only', true, false],
    ['probsGrad only', false, true],
    ['both', true, true],
  ] as const) {
    it(name, () => {
      const ref = attentionBackwardRef(
        { q, k, v, keyMask: mask, dOut: useOut ? wOut : undefined, probsGrad: useProbs ? { rows, grad: wProbs } : undefined },
        dims,
      );
      expectClose(ref.dq, finiteDifferenceGradient((x) => loss(x, k, v, useOut, useProbs), q), FD, 'dq');
      expectClose(ref.dk, finiteDifferenceGradient((x) => loss(q, x, v, useOut, useProbs), k), FD, 'dk');
      expectClose(ref.dv, finiteDifferenceGradient((x) => loss(q, k, x, useOut, useProbs), v), FD, 'dv');
    });
  }
});
