import { describe, expect, it } from 'vitest';
import { attention, attentionProbs } from './attention';
import { lossRowProbs, lossRowProbsBackward } from './loss-row-attention';
import type { AttentionDims } from '../reference/attention';
import { lossRowProbsBackwardRef, lossRowProbsRef } from '../reference/loss-row-attention';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { expectClose } from '../testing/compare';
import { finiteDifferenceGradient, weightedSum } from '../testing/finite-diff';
import { testEngine } from '../testing/gpu';
import { keyMaskFor } from '../testing/key-masks';
import { randomArray } from '../random';

// As in attention.test.ts: f32 dot products of length D and sums over up to T keys, ~6e-6 relative
// in the worst case for D, T <= 64, observed far below. The backward chains the score, the row sum
// delta and the dq sum over T keys (dk sums only over the rows and the GQA group); a row that sees a
// single key has exact dS = 0 where f32 leaves eps-sized residues, hence the absolute floor.
const F32_FORWARD = { rtol: 1e-5, atol: 1e-7 };
const F32_BACKWARD = { rtol: 2e-5, atol: 1e-6 };
// Float64 central differences (h = 1e-5) agree with an exact gradient to ~1e-10 relative; see finite-diff.ts.
const FD = { rtol: 1e-7 };

/** ABFT's loss row: the last real token of each sequence, a different position per sequence. */
function lastRealTokens(mask: Int32Array, B: number, T: number): Int32Array {
  return Int32Array.from({ length: B }, (_, b) => {
    let last = T - 1;
    while (last > 0 && !mask[b * T + last]) last--;
    return last;
  });
}

async function checkAgainstReference(
  e: Engine,
  dims: AttentionDims,
  mask: Int32Array,
  rows: Int32Array,
  seed: number,
  tol = { forward: F32_FORWARD, backward: F32_BACKWARD },
): Promise<void> {
  const { B, T, Hq, Hkv, D } = dims;
  const R = rows.length / B;
  const q = randomArray(B * R * Hq * D, seed, 2);
  const k = randomArray(B * T * Hkv * D, seed + 1, 2);
  const probsGrad = randomArray(B * Hq * R * T, seed + 2);
  const inputs = { q: e.upload(q, [B, R, Hq, D]), k: e.upload(k, [B, T, Hkv, D]), keyMask: e.upload(mask, [B, T], 'i32'), rows: e.upload(rows, [B, R], 'i32') };
  const opts = { scale: dims.scale, window: dims.window };

  const { probs, lse } = lossRowProbs(e, inputs, opts);
  const ref = lossRowProbsRef(q, k, mask, rows, dims);
  expectClose(await e.read(probs), ref.probs, tol.forward, 'probs');
  expectClose(await e.read(lse), ref.lse, tol.forward, 'lse');

  const probsGradT = e.upload(probsGrad, [B, Hq, R, T]);
  const got = lossRowProbsBackward(e, { ...inputs, lse, probsGrad: probsGradT }, opts);
  const want = lossRowProbsBackwardRef({ q, k, keyMask: mask, rows, probsGrad }, dims);
  expectClose(await e.read(got.dq), want.dq, tol.backward, 'dq');
  expectClose(await e.read(got.dk), want.dk, tol.backward, 'dk');
  for (const t of [...Object.values(inputs), probs, lse, probsGradT, got.dq, got.dk]) t.release();
}

describe('loss-row attention against the float64 reference', () => {
  let seed = 1;
  for (const T of [1, 9, 70]) {
    for (const [Hq, Hkv] of [[4, 4], [4, 2], [6, 1]]) {
      for (const D of [64, 48]) {
        for (const padding of ['none', 'left', 'right'] as const) {
          const s = (seed += 10);
          it(`B=2 T=${T} Hq=${Hq} Hkv=${Hkv} D=${D}, ${padding} padding, last real token`, async () => {
            const e = await testEngine();
            const mask = keyMaskFor(2, T, padding);
            await checkAgainstReference(e, { B: 2, T, Hq, Hkv, D }, mask, lastRealTokens(mask, 2, T), s);
          });
        }
      }
    }
  }

  it('D=256, D=128 and D=80 (four and two head dimensions per invocation in the dq pass), a set scale', async () => {
    const e = await testEngine();
    for (const D of [256, 128, 80]) {
      const mask = keyMaskFor(2, 20, 'left');
      await checkAgainstReference(e, { B: 2, T: 20, Hq: 4, Hkv: 2, D, scale: 0.3 }, mask, Int32Array.from([13, 7]), D);
    }
  });

  it('B=3, two rows per sequence including a repeated one, a padding query and rows outside [0, T)', async () => {
    const e = await testEngine();
    const T = 12;
    const mask = keyMaskFor(3, T, 'left');
    // Sequence 0's row 2 is left padding (it still sees no real key); -1 and T see nothing.
    const rows = Int32Array.from([2, 11, 5, 5, -1, T]);
    await checkAgainstReference(e, { B: 3, T, Hq: 2, Hkv: 1, D: 8 }, mask, rows, 5);
  });

  // Gemma 3's local layers. Window 1: the row sees itself only; a window reaching back into left padding;
  // a window past one workgroup of keys (the forward's key loop starts past 0).
  for (const [T, window, padding, rows] of [
    [12, 1, 'left', [11, 6, 11, 9]],
    [12, 4, 'left', [11, 5, 11, 8]],
    [200, 70, 'right', [199, 150, 120, 64]],
  ] as const) {
    it(`sliding window ${window}, T=${T}, ${padding} padding, two rows per sequence`, async () => {
      const e = await testEngine();
      const mask = keyMaskFor(2, T, padding);
      await checkAgainstReference(e, { B: 2, T, Hq: 4, Hkv: 2, D: 16, window }, mask, Int32Array.from(rows), T + window);
    });
  }

  it('T=2048 (keys looped past one workgroup many times), right padding', async () => {
    const e = await testEngine();
    const T = 2048;
    const mask = keyMaskFor(2, T, 'right');
    // The dq sum now runs over up to 2048 keys: a few times the f32 error of the short cases.
    await checkAgainstReference(e, { B: 2, T, Hq: 2, Hkv: 1, D: 8 }, mask, Int32Array.from([2047, 1000]), 9, {
      forward: F32_FORWARD,
      backward: { rtol: 1e-4, atol: 1e-6 },
    });
  });

  it('gives the same probabilities as attentionProbs after a full attention forward on a q zero except at the rows', async () => {
    const e = await testEngine();
    const [B, T, Hq, Hkv, D] = [2, 10, 4, 2, 16];
    const mask = keyMaskFor(B, T, 'right');
    const rows = lastRealTokens(mask, B, T);
    const qRows = randomArray(B * Hq * D, 41, 2);
    const qFull = new Float64Array(B * T * Hq * D);
    for (let b = 0; b < B; b++) qFull.set(qRows.subarray(b * Hq * D, (b + 1) * Hq * D), (b * T + rows[b]) * Hq * D);
    const k = e.upload(randomArray(B * T * Hkv * D, 42, 2), [B, T, Hkv, D]);
    const [keyMask, rowsT] = [e.upload(mask, [B, T], 'i32'), e.upload(rows, [B, 1], 'i32')];
    const q = e.upload(qFull, [B, T, Hq, D]);
    const full = attention(e, q, k, k, keyMask);
    const viaFull = await e.read(attentionProbs(e, q, k, full.lse, keyMask, rowsT));
    const { probs } = lossRowProbs(e, { q: e.upload(qRows, [B, 1, Hq, D]), k, keyMask, rows: rowsT });
    expectClose(await e.read(probs), viaFull, F32_FORWARD, 'probs against attentionProbs');
  });

  it('an all-padding sequence stays finite: zero probabilities, lse and gradients', async () => {
    const e = await testEngine();
    const [B, T, H, D] = [2, 5, 2, 8];
    const mask = Int32Array.from([0, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
    const inputs = {
      q: e.upload(randomArray(B * H * D, 3, 2), [B, 1, H, D]),
      k: e.upload(randomArray(B * T * H * D, 4, 2), [B, T, H, D]),
      keyMask: e.upload(mask, [B, T], 'i32'),
      rows: e.upload(Int32Array.from([4, 2]), [B, 1], 'i32'),
    };
    const { probs, lse } = lossRowProbs(e, inputs);
    const grads = lossRowProbsBackward(e, { ...inputs, lse, probsGrad: e.upload(randomArray(B * H * T, 5), [B, H, 1, T]) });
    const got = { probs: await e.read(probs), lse: await e.read(lse), dq: await e.read(grads.dq), dk: await e.read(grads.dk) };
    for (const [name, a] of Object.entries(got)) expect(a.every(Number.isFinite), `${name} finite`).toBe(true);
    expect(got.probs.subarray(0, H * T).every((x) => x === 0), 'sequence 0 probabilities').toBe(true);
    expect(got.lse.subarray(0, H).every((x) => x === 0), 'sequence 0 lse').toBe(true);
    expect(got.dq.subarray(0, H * D).every((x) => x === 0), 'sequence 0 dq').toBe(true);
    expect(got.dk.subarray(0, T * H * D).every((x) => x === 0), 'sequence 0 dk').toBe(true);
    // Sequence 1 sees keys 0..2, of which 0 and 1 are real: key 2 and keys past the row get no gradient.
    expect(got.dk.subarray((T + 2) * H * D, 2 * T * H * D).every((x) => x === 0), 'sequence 1 dk past the row').toBe(true);
  });

  it('names the offending argument and its shape', async () => {
    const e = await testEngine();
    const k = e.zeros([1, 4, 2, 8]);
    const keyMask = e.zeros([1, 4], 'i32');
    const rows = e.zeros([1, 1], 'i32');
    expect(() => lossRowProbs(e, { q: e.zeros([1, 1, 3, 8]), k, keyMask, rows })).toThrow(ShapeError);
    expect(() => lossRowProbs(e, { q: e.zeros([1, 1, 3, 8]), k, keyMask, rows })).toThrow(/q has 3 heads \(shape \[1, 1, 3, 8\]\)/);
    const q = e.zeros([1, 1, 2, 8]);
    expect(() => lossRowProbs(e, { q, k, keyMask, rows: e.zeros([1, 2], 'i32') })).toThrow(/rows has shape \[1, 2\], expected \[1, 1\]/);
    expect(() => lossRowProbs(e, { q, k, keyMask: e.zeros([1, 4]), rows })).toThrow(/keyMask has dtype f32/);
    const { lse } = lossRowProbs(e, { q, k, keyMask, rows });
    expect(() => lossRowProbsBackward(e, { q, k, keyMask, rows, lse, probsGrad: e.zeros([1, 2, 1, 5]) })).toThrow(/probsGrad has shape \[1, 2, 1, 5\], expected \[1, 2, 1, 4\]/);
  });
});

describe.each([0, 2])('loss-row attention backward reference against central finite differences (float64), window %i', (window) => {
  // Sequence 0 left-padded, sequence 1 right-padded, GQA 2:1, two rows per sequence (one repeated).
  const dims: AttentionDims = { B: 2, T: 5, Hq: 2, Hkv: 1, D: 3, scale: 0.7, window };
  const mask = Int32Array.from([0, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  const rows = Int32Array.from([4, 2, 3, 3]);
  const q = randomArray(2 * 2 * 2 * 3, 21, 2);
  const k = randomArray(2 * 5 * 1 * 3, 22, 2);
  const w = randomArray(2 * 2 * 2 * 5, 23);
  const loss = (qq: Float64Array, kk: Float64Array) => weightedSum(lossRowProbsRef(qq, kk, mask, rows, dims).probs, w);

  it('dq and dk of a weighted sum of the probabilities', () => {
    const ref = lossRowProbsBackwardRef({ q, k, keyMask: mask, rows, probsGrad: w }, dims);
    expectClose(ref.dq, finiteDifferenceGradient((x) => loss(x, k), q), FD, 'dq');
    expectClose(ref.dk, finiteDifferenceGradient((x) => loss(q, x), k), FD, 'dk');
  });
});
