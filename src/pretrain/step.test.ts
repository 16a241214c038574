import { describe, expect, it } from 'vitest';
import { expectClose } from '../engine/testing/compare';
import { testEngine } from '../engine/testing/gpu';
import { randomInts } from '../engine/random';
import { releaseWeights } from '../model/load';
import { frozenDTypeFor } from '../model/memory';
import type { Architecture } from '../model/spec';
import { loadTinyModel, type TinyLoaded } from '../model/testing/tiny-loaded';
import { finiteDifferenceAt } from '../engine/testing/finite-diff';
import { packBatch } from '../model/batch';
import { referenceForward } from '../model/reference/forward';
import { GUIDANCE_EPS } from './attention-guidance';
import { Pretrainer, type GuideTargets, type PretrainerOptions } from './step';

const OPTIONS: PretrainerOptions = {
  optimizer: { schedule: { peakLr: 1e-2, warmupSteps: 3, totalSteps: 40, minLr: 1e-3 }, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1 },
  microBatch: 2,
  padId: 0,
};

/** `count` sequences of random tokens (ids 3..V-1), of different lengths, from a seed. */
function randomCorpus(V: number, count: number, seed: number): number[][] {
  return Array.from({ length: count }, (_, i) => [...randomInts(6 + 3 * i, V - 3, seed + i)].map((t) => t + 3));
}

/** Sequences repeating one 5-token pattern from different offsets: after one period every token is predictable. */
function repeatedPattern(count: number, length: number): number[][] {
  const pattern = [11, 17, 23, 29, 31];
  return Array.from({ length: count }, (_, s) => Array.from({ length: length - s }, (_, t) => pattern[(t + s) % pattern.length]));
}

async function losses(arch: Architecture, corpus: (V: number) => number[][], steps: number): Promise<number[]> {
  const e = await testEngine();
  // Full training keeps every weight f32 whatever the adapter could store in f16.
  const { model } = await loadTinyModel(e, arch, { frozenDType: frozenDTypeFor('all', 'f16') });
  const trainer = new Pretrainer(e, model.spec, model.weights, OPTIONS);
  const sequences = corpus(model.spec.vocabSize);
  const out: number[] = [];
  for (let s = 0; s < steps; s++) {
    const r = await trainer.step(sequences);
    expect(Number.isFinite(r.loss) && Number.isFinite(r.gradNorm)).toBe(true);
    out.push(r.loss);
  }
  trainer.release();
  releaseWeights(model.weights);
  return out;
}

describe.each(['llama', 'gpt2'] as const)('pretraining a tiny %s model', (arch) => {
  it('repeats the same loss values, to the bit, from the same seed and data', async () => {
    const corpus = (V: number) => randomCorpus(V, 5, 3);
    const first = await losses(arch, corpus, 4);
    const again = await losses(arch, corpus, 4);
    expect(again).toEqual(first);
    // Something changed between steps: the update was applied.
    expect(new Set(first).size).toBe(first.length);
  });

  it('learns a repeated pattern: the loss falls to a small fraction of where it starts', async () => {
    const curve = await losses(arch, () => repeatedPattern(4, 24), 30);
    console.log(`[${arch}] pretraining loss on a repeated pattern: ${curve.map((l) => l.toFixed(3)).join(' ')}`);
    // Random tiny weights start far above ln V (confidently wrong); the pattern is then learnt in ~10 steps.
    expect(curve[0]).toBeGreaterThan(3);
    expect(curve.at(-1)!).toBeLessThan(0.01 * curve[0]);
    // Falling while there is something to learn: each 5-step window's mean below the one before.
    const means = [0, 5, 10].map((s) => curve.slice(s, s + 5).reduce((a, b) => a + b, 0) / 5);
    for (let i = 1; i < means.length; i++) expect(means[i]).toBeLessThan(means[i - 1]);
  });
});

describe('Pretrainer', () => {
  it('sums micro-batches into the gradient of the whole batch: the loss and every gradient match one micro-batch of all sequences', async () => {
    const e = await testEngine();
    const results = [];
    for (const microBatch of [2, 5]) {
      const { model } = await loadTinyModel(e, 'qwen3');
      const trainer = new Pretrainer(e, model.spec, model.weights, { ...OPTIONS, optimizer: { ...OPTIONS.optimizer, maxGradNorm: undefined }, microBatch });
      const r = await trainer.step(randomCorpus(model.spec.vocabSize, 5, 21));
      results.push({ r, grads: await Promise.all(trainer.grads.params.map((p) => e.read(p.grad))) });
      trainer.release();
      releaseWeights(model.weights);
    }
    const [split, whole] = results;
    expect(split.r.tokens).toBe(whole.r.tokens);
    expect(Math.abs(split.r.loss - whole.r.loss) / whole.r.loss).toBeLessThan(1e-6);
    // The same f32 sums in another order (other padding, other row blocks): rounding only.
    whole.grads.forEach((g, i) => expectClose(split.grads[i], g, { rtol: 1e-5 }, `gradient ${i}`));
  });

  it('scores only the marked positions: the loss and every gradient are those of the sequences cut after the last scored target', async () => {
    const e = await testEngine();
    const results = [];
    // Causal attention: positions 0..2 see the same tokens in both batches, and nothing later is scored.
    for (const [sequences, scored] of [
      [[[5, 6, 7, 8, 9], [10, 11, 12, 13]], [[1, 1, 1, 0, 0], [0, 1, 0, 1]]],
      [[[5, 6, 7, 8], [10, 11, 12, 13]], [[1, 1, 1, 1], [0, 1, 0, 1]]],
    ] as const) {
      const { model } = await loadTinyModel(e, 'llama');
      const trainer = new Pretrainer(e, model.spec, model.weights, { ...OPTIONS, optimizer: { ...OPTIONS.optimizer, maxGradNorm: undefined } });
      const r = await trainer.step(sequences.map((q) => [...q]), scored.map((m) => [...m]));
      results.push({ r, grads: await Promise.all(trainer.grads.params.map((p) => e.read(p.grad))) });
      trainer.release();
      releaseWeights(model.weights);
    }
    const [marked, cut] = results;
    // 3 targets of the first sequence; of the second only position 1's (position 3 is its last token).
    expect(marked.r.tokens).toBe(4);
    expect(cut.r.tokens).toBe(4);
    expect(Math.abs(marked.r.loss - cut.r.loss) / cut.r.loss).toBeLessThan(1e-6);
    cut.grads.forEach((g, i) => expectClose(marked.grads[i], g, { rtol: 1e-5, atol: 1e-7 }, `gradient ${i}`));
    const { model } = await loadTinyModel(e, 'llama');
    const trainer = new Pretrainer(e, model.spec, model.weights, OPTIONS);
    await expect(trainer.step([[5, 6, 7]], [])).rejects.toThrow(/scored has 0 entries for 1 sequences/);
    trainer.release();
    releaseWeights(model.weights);
  });

  it('reports the step: the mean over target tokens, the rate of the schedule, and refuses a step with nothing to predict', async () => {
    const e = await testEngine();
    const { model } = await loadTinyModel(e, 'llama');
    const trainer = new Pretrainer(e, model.spec, model.weights, OPTIONS);
    const r = await trainer.step([[5, 6, 7], [8, 9]]);
    expect(r.tokens).toBe(3);
    expect(r.lr).toBeCloseTo(1e-2 / 3, 12);
    expect(trainer.stepCount).toBe(1);
    await expect(trainer.step([[5]])).rejects.toThrow(/nothing to predict/);
    // A NaN in the embedding row of token 5 makes every gradient NaN: the update is skipped on the GPU and not counted.
    const chunk = model.weights.tokenEmbedding.chunks[0];
    const row = new Float32Array(await e.read(chunk));
    row[5 * model.spec.hiddenSize] = NaN;
    e.write(chunk, row);
    const before = await e.read(model.weights.layers[0].q.weight);
    const bad = await trainer.step([[5, 6, 7]]);
    expect(bad.skipped).toBe(true);
    expect(Number.isNaN(bad.loss)).toBe(true);
    expect(trainer.stepCount).toBe(1);
    expect(Array.from(await e.read(model.weights.layers[0].q.weight))).toEqual(Array.from(before));
    expect(r.skipped).toBe(false);
    trainer.release();
    releaseWeights(model.weights);
  });
});

describe('Pretrainer with attention guides', () => {
  const sequences = [
    [5, 6, 7, 8, 9, 10, 11],
    [12, 13, 14, 15],
    [16, 17, 18, 19, 20, 21],
  ];
  // Two guides on different layers and heads; sequence 2 has no row of the first, one of the second.
  const GUIDES: readonly GuideTargets[] = [
    { layer: 1, heads: [0, 2], weight: 0.5, targets: [[{ row: 4, keys: [1, 2] }, { row: 6, keys: [3] }], [{ row: 3, keys: [0, 1, 2] }], []] },
    { layer: 0, heads: [1], weight: 2, targets: [[{ row: 5, keys: [2] }], [], [{ row: 4, keys: [0, 3] }]] },
  ];
  const exact = { ...OPTIONS, optimizer: { ...OPTIONS.optimizer, maxGradNorm: undefined } };

  /**
   * In float64, Σ over `guides` of weight · tokens / (rows · heads) · Σ over their rows and heads of
   * -log(mass + eps): the guides' part of the gradient sums, which the optimizer divides by tokens.
   */
  function referenceGuidance(m: TinyLoaded, guides: readonly GuideTargets[], tokens: number): number {
    const batch = packBatch(sequences, 0);
    const { B, T } = batch;
    const H = m.model.spec.numHeads;
    const rows = Int32Array.from({ length: B * T }, (_, i) => i % T);
    const attention = referenceForward(m.model.spec, m.tensors, batch, { attention: { rows } }).attention!;
    let total = 0;
    for (const g of guides) {
      const count = g.targets.reduce((n, t) => n + t.length, 0);
      g.targets.forEach((list, b) => {
        for (const { row, keys } of list) {
          for (const h of g.heads) {
            const mass = keys.reduce((sum, key) => sum + attention[g.layer][((b * H + h) * T + row) * T + key], 0);
            total += ((g.weight * tokens) / (count * g.heads.length)) * -Math.log(mass + GUIDANCE_EPS);
          }
        }
      });
    }
    return total;
  }

  it("reports each guide's loss as the float64 reference does, and adds its gradient: the difference from a step without guides equals finite differences", async () => {
    const e = await testEngine();
    const m = await loadTinyModel(e, 'llama');
    releaseWeights(m.model.weights);
    const run = async (guides: readonly GuideTargets[], microBatch: number) => {
      const { model } = await loadTinyModel(e, 'llama');
      const trainer = new Pretrainer(e, model.spec, model.weights, { ...exact, microBatch });
      const r = await trainer.step(sequences, undefined, guides);
      const grads = await Promise.all(trainer.grads.params.map((p) => e.read(p.grad)));
      const q = trainer.grads.params.findIndex((p) => p.name === 'layers.0.q.weight');
      trainer.release();
      releaseWeights(model.weights);
      return { r, grads, q };
    };
    const plain = await run([], 2);
    const guided = await run(GUIDES, 2);
    const whole = await run(GUIDES, 3);
    expect(plain.r.attentionLoss).toEqual([]);
    expect(guided.r.loss).toBeCloseTo(plain.r.loss, 6);
    const tokens = guided.r.tokens;
    const want = GUIDES.map((g) => referenceGuidance(m, [g], tokens) / tokens);
    expectClose(guided.r.attentionLoss, want, { rtol: 1e-5 }, "the guides' losses");
    // Split into micro-batches of 2 (the guides' targets sliced with them) or not: the same sums.
    expectClose(whole.r.attentionLoss, guided.r.attentionLoss, { rtol: 1e-6 }, 'micro-batches of 3 against 2');
    whole.grads.forEach((g, i) => expectClose(guided.grads[i], g, { rtol: 1e-5 }, `gradient ${i}, micro-batches of 3 against 2`));

    // Layer 0's q weight feeds both guides. Engine layout [in, out]; HF's q_proj.weight is [out, in].
    const hf = m.tensors.get('model.layers.0.self_attn.q_proj.weight')!;
    const [outs, ins] = hf.shape;
    const picks = Array.from({ length: 12 }, (_, k) => (k * 37 + 5) % (ins * outs));
    const got = picks.map((k) => guided.grads[guided.q][k] - plain.grads[plain.q][k]);
    const fd = picks.map((k) => finiteDifferenceAt(() => referenceGuidance(m, GUIDES, tokens), hf.data, (k % outs) * ins + Math.floor(k / outs), 1e-5));
    expect(Math.max(...fd.map(Math.abs))).toBeGreaterThan(1e-3);
    expectClose(got, fd, { rtol: 1e-4, atol: 1e-6 }, 'the guides\' gradient on layers.0.q.weight');
  });

  it('refuses a guide that does not fit the model or the step', async () => {
    const e = await testEngine();
    const { model } = await loadTinyModel(e, 'llama');
    const trainer = new Pretrainer(e, model.spec, model.weights, exact);
    const guide = GUIDES[0];
    await expect(trainer.step(sequences, undefined, [{ ...guide, layer: 9 }])).rejects.toThrow(/layer 9 is not a layer of this 2-layer model/);
    await expect(trainer.step(sequences, undefined, [{ ...guide, heads: [7] }])).rejects.toThrow(/heads \[7\] must be some of the/);
    await expect(trainer.step(sequences, undefined, [{ ...guide, targets: [[]] }])).rejects.toThrow(/targets for 1 sequences, the step has 3/);
    expect(trainer.stepCount).toBe(0);
    trainer.release();
    releaseWeights(model.weights);
  });
});
