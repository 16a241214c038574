import { describe, expect, it } from 'vitest';
import { abftLoss, STAT, STAT_FIELDS, summarizeStats, type AbftLossOptions } from './loss';
import { abftObjectivePresets, defaultAbftObjective } from './objective';
import { abftLossRef, headThresholdRef } from './reference/loss';
import { expectClose } from '../engine/testing/compare';
import { finiteDifferenceGradient } from '../engine/testing/finite-diff';
import { testEngine } from '../engine/testing/gpu';
import { rng } from '../engine/random';

// Every GPU value is a sum of at most k = 4 f32 probabilities or one f32 product of the options,
// so it is within a few ulp (~1e-7 relative) of the float64 value; 1e-6 of the largest entry
// leaves margin and still catches a missing or doubled label.
const F32_ABFT = { rtol: 1e-6, atol: 1e-7 };
// The loss is linear in α, so central differences are exact up to rounding: eps * |loss| / h.
const FD = { rtol: 1e-7, atol: 1e-8 };
// Random heads are kept this far from the threshold, so f32 and float64 agree on every filter decision.
const FILTER_MARGIN = 1e-3;

interface Case {
  readonly batch: number;
  readonly heads: number;
  readonly cols: number;
  readonly probs: Float64Array[];
  readonly labels: Int32Array;
  readonly lengths: Int32Array;
}

const BASE: AbftLossOptions = { punishment: 0.5, reward: 1, k: 4, headFilter: 'threshold', thresholdLog: 'natural', headReduction: 'sum', promptReduction: 'mean', batchSize: 8 };

/**
 * B = 3 prompts of 23, 17 and 9 tokens padded to 23, H = 4, 2 layers, k = 4 demonstration labels each:
 * prompt 0 has labels in I⁺ and I⁻, prompt 1 none in I⁺ (the query's label is absent from its
 * demonstrations), prompt 2 none in I⁻. Labels written into the padding must be ignored.
 */
function randomCase(seed: number): Case {
  const batch = 3;
  const heads = 4;
  const cols = 23;
  const layers = 2;
  const lengths = Int32Array.from([23, 17, 9]);
  const demos = [
    { at: [3, 8, 13, 19], plus: [true, false, true, false] },
    { at: [2, 6, 10, 14], plus: [false, false, false, false] },
    { at: [1, 3, 5, 7], plus: [true, true, true, true] },
  ];
  const labels = new Int32Array(batch * cols);
  demos.forEach((d, b) => d.at.forEach((j, i) => (labels[b * cols + j] = d.plus[i] ? 1 : -1)));
  labels[1 * cols + 20] = 1;
  labels[2 * cols + 12] = -1;
  const r = rng(seed);
  // Weights on the label positions from far below to far above the threshold, so heads pass and fail.
  const boosts = [0.2, 1, 20, 300];
  const probs = Array.from({ length: layers }, (_, l) => {
    const p = new Float64Array(batch * heads * cols);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const row = (b * heads + h) * cols;
        let sum = 0;
        for (let j = 0; j < lengths[b]; j++) {
          const w = (0.05 + r()) * (demos[b].at.includes(j) ? boosts[(b + h + l) % 4] : 1);
          p[row + j] = w;
          sum += w;
        }
        for (let j = 0; j < lengths[b]; j++) p[row + j] = Math.fround(p[row + j] / sum);
      }
    }
    return p;
  });
  return { batch, heads, cols, probs, labels, lengths };
}

async function runGpu(c: Case, opts: AbftLossOptions) {
  const e = await testEngine();
  const probs = c.probs.map((p) => e.upload(p, [c.batch, c.heads, 1, c.cols]));
  const labels = e.upload(c.labels, [c.batch, c.cols], 'i32');
  const lengths = e.upload(c.lengths, [c.batch], 'i32');
  const out = abftLoss(e, probs, labels, lengths, opts);
  const grads = await Promise.all(out.probsGrad.map((g) => e.read(g)));
  const stats = await e.read(out.stats);
  for (const t of [...probs, labels, lengths, ...out.probsGrad, out.stats]) t.release();
  return { grads, stats };
}

function reference(c: Case, opts: AbftLossOptions) {
  return abftLossRef(c.probs, c.labels, c.lengths, c, opts);
}

/** Smallest |S − T| over all (prompt, layer, head) of a case, from the reference's stats. */
function filterMargin(c: Case, stats: Float64Array, opts: AbftLossOptions): number {
  let margin = Infinity;
  for (let i = 0; i < stats.length / STAT_FIELDS; i++) {
    const b = Math.floor(i / (c.probs.length * c.heads));
    margin = Math.min(margin, Math.abs(stats[i * STAT_FIELDS + STAT.labelMass] - headThresholdRef(opts.k, c.lengths[b], opts.thresholdLog)));
  }
  return margin;
}

async function checkAgainstReference(c: Case, opts: AbftLossOptions): Promise<void> {
  const ref = reference(c, opts);
  const gpu = await runGpu(c, opts);
  const what = `${opts.headFilter} 𝒜 ${opts.punishment} ℬ ${opts.reward}`;
  ref.probsGrad.forEach((g, l) => expectClose(gpu.grads[l], g, F32_ABFT, `${what}: dL/dα layer ${l}`));
  expectClose(gpu.stats, ref.stats, F32_ABFT, `${what}: stats`);
  const summary = summarizeStats(gpu.stats, { batch: c.batch, layers: c.probs.length, heads: c.heads }, opts);
  // The stats cover 3 prompts of a pseudo-batch of 8: the summary's mean is over the 3.
  const promptScale = opts.promptReduction === 'mean' ? opts.batchSize / c.batch : 1;
  expect(summary.loss).toBeCloseTo(ref.loss * promptScale, 5);
}

describe('abftLoss against the float64 reference', () => {
  const c = randomCase(1);
  const values = [
    { punishment: 0.5, reward: 1 },
    { punishment: 0, reward: 1 },
    { punishment: 0.5, reward: 0 },
  ];

  it('the random case exercises both filter outcomes away from the threshold', () => {
    const stats = reference(c, BASE).stats;
    expect(filterMargin(c, stats, BASE)).toBeGreaterThan(FILTER_MARGIN);
    let passed = 0;
    for (let i = 0; i < stats.length / STAT_FIELDS; i++) passed += stats[i * STAT_FIELDS + STAT.passed];
    expect(passed).toBeGreaterThan(2);
    expect(passed).toBeLessThan(stats.length / STAT_FIELDS - 2);
  });

  for (const headFilter of ['threshold', 'none'] as const) {
    for (const v of values) {
      it(`headFilter '${headFilter}', 𝒜 = ${v.punishment}, ℬ = ${v.reward}`, async () => {
        await checkAgainstReference(c, { ...BASE, ...v, headFilter });
      });
    }
  }

  it("log2 threshold, 'mean' over heads and 'sum' over prompts", async () => {
    const opts: AbftLossOptions = { ...BASE, thresholdLog: 'log2', headReduction: 'mean', promptReduction: 'sum' };
    expect(filterMargin(c, reference(c, opts).stats, opts)).toBeGreaterThan(FILTER_MARGIN);
    await checkAgainstReference(c, opts);
  });

  it('puts the threshold at k / (k + log n_t) for n_t = 100, strictly, per log base', async () => {
    // One prompt of 100 tokens, labels at 10 (+), 30 (−), 50 (+), 70 (−); head h has S = targets[h].
    const cols = 100;
    const tNatural = 0.46483682641317786;
    const tLog2 = 0.3758036494182152;
    const targets = [tNatural + 1e-4, tNatural - 1e-4, tLog2 + 1e-4, tLog2 - 1e-4];
    const labels = new Int32Array(cols);
    [10, 50].forEach((j) => (labels[j] = 1));
    [30, 70].forEach((j) => (labels[j] = -1));
    const probs = new Float64Array(targets.length * cols);
    targets.forEach((s, h) => {
      for (let j = 0; j < cols; j++) probs[h * cols + j] = Math.fround(labels[j] !== 0 ? s / 4 : (1 - s) / 96);
    });
    const c100: Case = { batch: 1, heads: 4, cols, probs: [probs], labels, lengths: Int32Array.from([100]) };
    const passed = async (thresholdLog: AbftLossOptions['thresholdLog']) => {
      const { stats } = await runGpu(c100, { ...BASE, thresholdLog, batchSize: 1 });
      return targets.map((_, h) => stats[h * STAT_FIELDS + STAT.passed]);
    };
    expect(await passed('natural')).toEqual([1, 0, 0, 0]);
    expect(await passed('log2')).toEqual([1, 1, 1, 0]);
    // log10(100) = 2: T = 2/3, above every head.
    expect(await passed('log10')).toEqual([0, 0, 0, 0]);
  });

  it('fails a head exactly at the threshold and skips an absent prompt', async () => {
    // n_t = 1: T = 4 / (4 + ln 1) = 1 exactly, and the only label holds α = 1 = S.
    const cols = 5;
    const labels = Int32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const probs = Float64Array.from([1, 0, 0, 0, 0, 0.2, 0.2, 0.2, 0.2, 0.2]);
    const c1: Case = { batch: 2, heads: 1, cols, probs: [probs], labels, lengths: Int32Array.from([1, 0]) };
    const strict = await runGpu(c1, { ...BASE, batchSize: 2 });
    expect([strict.stats[STAT.passed], strict.stats[STAT_FIELDS + STAT.passed]]).toEqual([0, 0]);
    expect(Array.from(strict.grads[0])).toEqual(new Array(10).fill(0));
    // Without the filter the first head passes with loss ℬ (1 − 1) = 0; the absent prompt still takes no part.
    const all = await runGpu(c1, { ...BASE, headFilter: 'none', batchSize: 2 });
    expect([all.stats[STAT.passed], all.stats[STAT_FIELDS + STAT.passed]]).toEqual([1, 0]);
    expect(all.stats[STAT.sink]).toBe(1);
    expect(Array.from(all.grads[0])).toEqual([-0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('micro-batches: concatenated stats summarize like the whole batch', async () => {
    const c = randomCase(2);
    const slice = (from: number, to: number): Case => ({
      batch: to - from,
      heads: c.heads,
      cols: c.cols,
      probs: c.probs.map((p) => p.slice(from * c.heads * c.cols, to * c.heads * c.cols)),
      labels: c.labels.slice(from * c.cols, to * c.cols),
      lengths: c.lengths.slice(from, to),
    });
    const opts = { ...BASE, batchSize: 3 };
    const whole = await runGpu(c, opts);
    const parts = [await runGpu(slice(0, 2), opts), await runGpu(slice(2, 3), opts)];
    const joined = new Float32Array(whole.stats.length);
    joined.set(parts[0].stats);
    joined.set(parts[1].stats, parts[0].stats.length);
    expect(joined).toEqual(whole.stats);
  });

  it('rejects mismatched shapes and invalid options', async () => {
    const e = await testEngine();
    const p = e.empty([2, 4, 1, 7]);
    const labels = e.empty([2, 7], 'i32');
    const lengths = e.empty([2], 'i32');
    expect(() => abftLoss(e, [p, e.empty([2, 3, 1, 7])], labels, lengths, BASE)).toThrow(/probs\[1\] has shape \[2, 3, 1, 7\]/);
    expect(() => abftLoss(e, [p], e.empty([2, 8], 'i32'), lengths, BASE)).toThrow(/labels has shape \[2, 8\]/);
    expect(() => abftLoss(e, [p], labels, e.empty([2]), BASE)).toThrow(/lengths has dtype f32/);
    expect(() => abftLoss(e, [p], labels, lengths, { ...BASE, batchSize: 0 })).toThrow(/batchSize is 0/);
    expect(() => abftLoss(e, [], labels, lengths, BASE)).toThrow(/probs is empty/);
  });
});

describe('abftLoss reference: hand-computed cases', () => {
  it('T for k = 4, n_t = 100 is 4 / (4 + ln 100)', () => {
    expect(headThresholdRef(4, 100)).toBeCloseTo(0.46483682641317786, 15);
    expect(headThresholdRef(4, 100, 'log2')).toBeCloseTo(0.3758036494182152, 15);
  });

  it('a head with S exactly at T fails (strict >), one clearly above passes', () => {
    const t = headThresholdRef(4, 100);
    const labels = new Int32Array(100);
    labels[10] = 1;
    labels[30] = -1;
    // S = α_10 + α_30 with α_30 = 0, so S is exactly the value put at position 10.
    const probs = new Float64Array(2 * 100);
    probs[10] = t;
    probs[100 + 10] = t + 0.01;
    const ref = abftLossRef([probs], labels, [100], { batch: 1, heads: 2, cols: 100 }, { ...BASE, batchSize: 1 });
    expect(ref.stats[STAT.labelMass]).toBe(t);
    expect(ref.stats[STAT.passed]).toBe(0);
    expect(ref.stats[STAT_FIELDS + STAT.passed]).toBe(1);
    expect(ref.loss).toBeCloseTo(1 - (t + 0.01), 15);
  });

  it('loss, gradient and stats of one prompt', () => {
    // n_t = 10, T = 4 / (4 + ln 10) = 0.6347; labels 2 (+), 5 (−), 7 (+), 9 (−); S = 0.7 passes.
    const labels = Int32Array.from([0, 0, 1, 0, 0, -1, 0, 1, 0, -1]);
    const probs = Float64Array.from([0.2, 0.02, 0.3, 0.02, 0.02, 0.1, 0.02, 0.25, 0.02, 0.05]);
    const ref = abftLossRef([probs], labels, [10], { batch: 1, heads: 1, cols: 10 }, { ...BASE, batchSize: 2 });
    // L = 0.5 (0.1 + 0.05) + 1 ((1 − 0.3) + (1 − 0.25)) = 1.525, halved by the mean over a pseudo-batch of 2.
    expect(ref.loss).toBeCloseTo(0.7625, 15);
    expect(Array.from(ref.probsGrad[0])).toEqual([0, 0, -0.5, 0, 0, 0.25, 0, -0.5, 0, 0.25]);
    expectClose(ref.stats, [0.7, 1, 1.525, 0.55, 0.15, 0.2], { rtol: 1e-15 });
  });
});

describe('abftLoss reference gradient against central finite differences (float64)', () => {
  for (const headFilter of ['threshold', 'none'] as const) {
    it(`headFilter '${headFilter}'`, () => {
      const c = randomCase(3);
      const opts = { ...BASE, headFilter };
      // The filter must not flip within ±h of any S, or the loss would jump inside the difference.
      expect(filterMargin(c, reference(c, opts).stats, opts)).toBeGreaterThan(FILTER_MARGIN);
      const n = c.probs[0].length;
      const flat = new Float64Array(2 * n);
      c.probs.forEach((p, l) => flat.set(p, l * n));
      const loss = (x: Float64Array) => abftLossRef([x.subarray(0, n), x.subarray(n)], c.labels, c.lengths, c, opts).loss;
      const analytic = new Float64Array(2 * n);
      reference(c, opts).probsGrad.forEach((g, l) => analytic.set(g, l * n));
      expectClose(analytic, finiteDifferenceGradient(loss, flat), FD);
    });
  }
});

describe('summarizeStats', () => {
  it('averages per prompt and per head', () => {
    // B = 2, L = 1, H = 2: fields S, passed, loss, plus, minus, sink.
    const stats = Float32Array.from([
      0.75, 1, 0.5, 0.5, 0.25, 0.125, /* b0 h0 */ 0.25, 0, 0, 0.125, 0.125, 0.5, /* b0 h1 */
      0.5, 1, 1, 0, 0.5, 0.25, /* b1 h0 */ 0.75, 1, 0.25, 0.75, 0, 0, /* b1 h1 */
    ]);
    const s = summarizeStats(stats, { batch: 2, layers: 1, heads: 2 });
    expect(s.loss).toBe((0.5 + 1 + 0.25) / 2);
    expect(s.passingHeads).toBe(1.5);
    expect(s.perLayerHead).toEqual([
      [
        { plus: 0.25, minus: 0.375, sink: 0.1875, passRate: 1 },
        { plus: 0.4375, minus: 0.0625, sink: 0.25, passRate: 0.5 },
      ],
    ]);
    expect(summarizeStats(stats, { batch: 2, layers: 1, heads: 2 }, { headReduction: 'mean', promptReduction: 'sum' }).loss).toBe(1.75 / 2);
    expect(() => summarizeStats(stats, { batch: 3, layers: 1, heads: 2 })).toThrow(/expected 36/);
  });
});

describe('objective presets (Table 4 ablations)', () => {
  it('each ablation changes only its own setting', () => {
    const { abft, noPid, noHeadFilter, noPunishment, noReward } = abftObjectivePresets;
    expect(abft).toEqual(defaultAbftObjective);
    expect(defaultAbftObjective).toMatchObject({ punishment: 0.5, reward: 1, headFilter: 'threshold', thresholdLog: 'natural' });
    expect(noPid).toEqual({ ...abft, pid: { ...abft.pid, enabled: false } });
    expect(noHeadFilter).toEqual({ ...abft, headFilter: 'none' });
    expect(noPunishment).toEqual({ ...abft, punishment: 0, pid: { ...abft.pid, enabled: false } });
    expect(noReward).toEqual({ ...abft, reward: 0 });
  });
});
