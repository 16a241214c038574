import { describe, expect, it } from 'vitest';
import { expectClose } from '../engine/testing/compare';
import { finiteDifferenceAt, finiteDifferenceGradient } from '../engine/testing/finite-diff';
import { testEngine } from '../engine/testing/gpu';
import { rng } from '../engine/random';
import { attentionGuidance, GUIDANCE_EPS } from './attention-guidance';

// The mass is a sum of at most T = 37 f32 probabilities (~1e-7 relative), and the GPU's log and
// division add a few ulp: 1e-5 relative leaves margin and still catches a wrong target or weight.
const F32 = { rtol: 1e-5, atol: 1e-7 };

interface Case {
  readonly dims: { readonly B: number; readonly H: number; readonly R: number; readonly T: number };
  readonly probs: Float64Array;
  readonly targets: Uint32Array;
  readonly weights: Float64Array;
}

/**
 * B 2, H 3, R 5, T 37 (more keys than the smallest workgroup, fewer than a power of two): rows with
 * one, several and no targets, a row whose targets get almost no attention (the eps matters), and
 * one head of weight 0.
 */
function randomCase(): Case {
  const [B, H, R, T] = [2, 3, 5, 37];
  const r = rng(7);
  const probs = new Float64Array(B * H * R * T);
  for (let row = 0; row < B * H * R; row++) {
    let sum = 0;
    for (let j = 0; j < T; j++) sum += probs[row * T + j] = 0.01 + r();
    for (let j = 0; j < T; j++) probs[row * T + j] = Math.fround(probs[row * T + j] / sum);
  }
  const targets = new Uint32Array(B * R * T);
  for (let br = 0; br < B * R; br++) {
    const r0 = br % R;
    if (r0 === 2) continue;
    const count = r0 === 0 ? 1 : 1 + Math.floor(r() * 6);
    for (let c = 0; c < count; c++) targets[br * T + Math.floor(r() * T)] = 1;
  }
  // Row 4 of sequence 1: its one target gets (almost) nothing in every head.
  targets.fill(0, (1 * R + 4) * T, (1 * R + 5) * T);
  targets[(1 * R + 4) * T + 11] = 1;
  for (let h = 0; h < H; h++) probs[((1 * H + h) * R + 4) * T + 11] = 1e-9;
  return { dims: { B, H, R, T }, probs, targets, weights: Float64Array.from([0.75, 0, 2.5]) };
}

/** Σ over rows with targets of w_h · -log(Σ_j α_j t_j + eps), and each row's term, in float64. */
function reference(c: Case, probs = c.probs): { total: number; rows: Float64Array } {
  const { B, H, R, T } = c.dims;
  const rows = new Float64Array(B * H * R);
  let total = 0;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let r = 0; r < R; r++) {
        let mass = 0;
        let any = false;
        for (let j = 0; j < T; j++) {
          if (!c.targets[(b * R + r) * T + j]) continue;
          any = true;
          mass += probs[((b * H + h) * R + r) * T + j];
        }
        if (!any || c.weights[h] === 0) continue;
        const row = (b * H + h) * R + r;
        rows[row] = -c.weights[h] * Math.log(mass + GUIDANCE_EPS);
        total += rows[row];
      }
  return { total, rows };
}

describe('attentionGuidance against the float64 reference', () => {
  it('each row loss, and dL/dα against central differences of the summed loss', async () => {
    const c = randomCase();
    const { B, H, R, T } = c.dims;
    const e = await testEngine();
    const probs = e.upload(c.probs, [B, H, R, T]);
    const targets = e.upload(c.targets, [B, R, T], 'u32');
    const weights = e.upload(c.weights, [H]);
    const out = attentionGuidance(e, probs, targets, weights);
    const [grad, loss] = await e.readAll([out.probsGrad, out.loss]);
    for (const t of [probs, targets, weights, out.probsGrad, out.loss]) t.release();

    const ref = reference(c);
    expectClose(loss, ref.rows, F32, 'row losses');
    // The starved row's gradient (~1e6) is judged on its own, with a step far below its mass (1e-9 + eps).
    const starved = (i: number) => Math.floor(i / T) % R === 4 && Math.floor(i / (H * R * T)) === 1;
    const fd = finiteDifferenceGradient((p) => reference(c, p).total, c.probs, 1e-7);
    const split = (values: ArrayLike<number>, inRow: boolean) => Array.from(values).filter((_, i) => starved(i) === inRow);
    expectClose(split(grad, false), split(fd, false), { rtol: 1e-5, atol: 1e-7 }, 'dL/dα');
    const fdStarved = Array.from(c.probs.keys()).filter(starved).map((i) => finiteDifferenceAt(() => reference(c).total, c.probs, i, 1e-13));
    expectClose(split(grad, true), fdStarved, { rtol: 1e-4 }, 'dL/dα of the row the eps keeps finite');
    expect(Math.max(...fdStarved.map(Math.abs))).toBeGreaterThan(1e5);
    // The case covers what it says: zero rows (no target, weight 0) and a row the eps keeps finite.
    expect(ref.rows.filter((v) => v === 0).length).toBeGreaterThan(B * R);
    expect(Math.max(...ref.rows)).toBeGreaterThan(2.5 * 13);
    expect(Number.isFinite(Math.max(...grad.map(Math.abs)))).toBe(true);
  });

  it('names a mismatched shape', async () => {
    const e = await testEngine();
    const probs = e.upload(new Float32Array(2 * 3 * 4), [1, 2, 3, 4]);
    const targets = e.upload(new Uint32Array(3 * 4), [1, 3, 4], 'u32');
    const weights = e.upload(new Float32Array(3), [3]);
    expect(() => attentionGuidance(e, probs, targets, weights)).toThrow(/headWeights/);
    for (const t of [probs, targets, weights]) t.release();
  });
});
