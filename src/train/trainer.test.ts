import { describe, expect, it } from 'vitest';
import { abftLossRef } from '../abft/reference/loss';
import { preparePrompts, type PreparedPrompt } from '../abft/prepared';
import { labelTargets, type LabelTargets } from '../abft/label-scoring';
import { templateOf } from '../abft/prompts';
import { sampleTrainingPrompts } from '../abft/sampling';
import { syntheticPrompt, syntheticSentiment } from '../data/synthetic';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { testEngine } from '../engine/testing/gpu';
import { packBatch } from '../model/batch';
import { releaseModel, type LoadedModel } from '../model/load';
import { referenceForward, type HfTensors } from '../model/reference/forward';
import { ARCHITECTURE_IDS } from '../model/arch';
import type { Architecture } from '../model/spec';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from './options';
import { Trainer } from './trainer';
import { loadTinyModel } from '../model/testing/tiny-loaded';

const K = 4;

interface Setup {
  readonly e: Engine;
  /** The checkpoint's tensors in float64, for the reference. */
  readonly tensors: HfTensors;
  readonly model: LoadedModel;
  readonly prompts: PreparedPrompt[];
  readonly labels: LabelTargets;
}

async function setup(arch: Architecture, promptCount = 16, seed = 3): Promise<Setup> {
  const e = await testEngine();
  const { model, tensors } = await loadTinyModel(e, arch);
  const template = templateOf(syntheticPrompt(2));
  const data = syntheticSentiment({ size: 64, seed: 1 });
  const draws = sampleTrainingPrompts(data.rows, promptCount, K, seed);
  const prompts = preparePrompts(model.tokenizer!, template, draws, { maxPositions: model.spec.maxPositions, what: 'training prompt' });
  return { e, tensors, model, prompts, labels: labelTargets(model.tokenizer!, template, 'sequence') };
}

/**
 * A tiny random model spreads its attention over a ~200-token prompt, so no head reaches the filter's
 * threshold k / (k + ln n) ≈ 0.43 and the paper's filter would pass none: the tests that need a
 * gradient use the "no head filter" ablation; one test checks the filter itself.
 */
const ALL_HEADS = { ...DEFAULT_TRAIN_OPTIONS.abft, headFilter: 'none' } as const;

function options(overrides: Partial<TrainOptions>): TrainOptions {
  return { ...DEFAULT_TRAIN_OPTIONS, abft: ALL_HEADS, pseudoBatch: 8, microBatch: 3, steps: 2, ...overrides };
}

async function readAll(e: Engine, tensors: readonly (Tensor | null)[]): Promise<Float32Array[]> {
  return Promise.all(tensors.filter((t): t is Tensor => t !== null).map(async (t) => Float32Array.from(await e.read(t))));
}

function weightsOf(model: LoadedModel): { trained: (Tensor | null)[]; frozen: (Tensor | null)[] } {
  const w = model.weights;
  return {
    trained: w.layers.flatMap((l) => [l.q.weight, l.q.bias, l.k.weight, l.k.bias]),
    frozen: [
      ...w.tokenEmbedding.chunks,
      w.positionEmbedding,
      w.finalNorm.weight,
      ...w.layers.flatMap((l) => [l.v.weight, l.v.bias, l.o.weight, l.o.bias, l.up.weight, l.down.weight, l.gate?.weight ?? null, l.attentionNorm.weight, l.mlpNorm.weight, ...[l.qNorm, l.kNorm, l.postAttentionNorm, l.postMlpNorm].map((n) => n?.weight ?? null)]),
    ],
  };
}

describe('ABFT training step', () => {
  for (const arch of ARCHITECTURE_IDS) {
    it(`${arch}: an optimizer step changes W_Q and W_K (and their biases) and nothing else`, async () => {
      const { e, model, prompts, labels } = await setup(arch);
      const { trained, frozen } = weightsOf(model);
      const [trainedBefore, frozenBefore] = [await readAll(e, trained), await readAll(e, frozen)];
      const trainer = new Trainer(e, model, prompts, options({ lr: 1e-3 }), labels);
      const metrics = await trainer.step();
      expect(metrics.step).toBe(1);
      expect(Number.isFinite(metrics.loss)).toBe(true);
      expect(metrics.tokens).toBe(trainer.pseudoBatchPrompts(0).reduce((s, p) => s + p.ids.length, 0));
      const [trainedAfter, frozenAfter] = [await readAll(e, trained), await readAll(e, frozen)];
      // GPT-2's k bias gets no gradient (softmax ignores a shift shared by every key), so it is not required to move.
      const moved = trainedAfter.filter((t, i) => t.some((v, j) => v !== trainedBefore[i][j])).length;
      expect(moved).toBeGreaterThanOrEqual(trainedAfter.length - (arch === 'gpt2' ? model.spec.numLayers : 0));
      frozenAfter.forEach((t, i) => expect(Array.from(t), `frozen tensor ${i}`).toEqual(Array.from(frozenBefore[i])));
      trainer.release();
      releaseModel(model);
    });
  }

  it('the loss it reports and its gradient match the float64 reference, and finite differences of the loss in W_Q/W_K entries', async () => {
    const { e, tensors: base, model, prompts, labels } = await setup('llama', 3);
    const opts = options({ pseudoBatch: 3, microBatch: 3, lr: 1e-3, beta1: 0, beta2: 0, eps: 1e-30 });
    // With beta1 = beta2 = 0 Adam's first step is lr * g / |g| per entry: the sign of the gradient, so
    // the step itself reveals the sign of dL/dW of every entry that moved.
    const trainer = new Trainer(e, model, prompts, opts, labels);
    const batchPrompts = trainer.pseudoBatchPrompts(0);
    // Perturbed in place by the finite differences below.
    const tensors = base as Map<string, { shape: readonly number[]; data: Float64Array }>;
    const batch = packBatch(batchPrompts.map((p) => p.ids), 0);
    const rows = Int32Array.from(batch.lengths, (n) => n - 1);
    const refLoss = (t: HfTensors): number => {
      const { attention } = referenceForward(model.spec, t, batch, { attention: { rows } });
      const labels = new Int32Array(batch.B * batch.T);
      batchPrompts.forEach((p, b) => {
        for (const pos of p.plus) labels[b * batch.T + pos] = 1;
        for (const pos of p.minus) labels[b * batch.T + pos] = -1;
      });
      return abftLossRef(attention!, labels, Int32Array.from(batch.lengths), { batch: batch.B, heads: model.spec.numHeads, cols: batch.T }, {
        ...opts.abft,
        punishment: opts.abft.punishment,
        reward: opts.abft.reward,
        k: K,
        batchSize: batch.B,
      }).loss;
    };
    const qBefore = Float32Array.from(await e.read(model.weights.layers[0].q.weight));
    const metrics = await trainer.step();
    expect(Math.abs(metrics.loss - refLoss(tensors))).toBeLessThan(1e-5 * Math.max(1, Math.abs(metrics.loss)));
    const qAfter = await e.read(model.weights.layers[0].q.weight);
    // q_proj.weight is [out, in] in the file and [in, out] on the GPU; check a few entries whose FD is clearly non-zero.
    const name = 'model.layers.0.self_attn.q_proj.weight';
    const [outDim, inDim] = tensors.get(name)!.shape;
    let checked = 0;
    for (let o = 0; o < outDim && checked < 8; o += 3) {
      for (let i = 0; i < inDim && checked < 8; i += 5) {
        const w = tensors.get(name)!.data;
        const h = 1e-4;
        const keep = w[o * inDim + i];
        w[o * inDim + i] = keep + h;
        const plus = refLoss(tensors);
        w[o * inDim + i] = keep - h;
        const minus = refLoss(tensors);
        w[o * inDim + i] = keep;
        const fd = (plus - minus) / (2 * h);
        if (Math.abs(fd) < 1e-4) continue;
        const step = qAfter[i * outDim + o] - qBefore[i * outDim + o];
        expect(Math.sign(step), `W_Q[${o}, ${i}]: step ${step}, finite difference ${fd}`).toBe(-Math.sign(fd));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
    trainer.release();
    releaseModel(model);
  });

  it("with the paper's head filter, heads below the threshold give no loss and leave the weights alone", async () => {
    const { e, model, prompts, labels } = await setup('llama');
    const q = model.weights.layers[0].q.weight;
    const before = Array.from(await e.read(q));
    const trainer = new Trainer(e, model, prompts, options({ abft: DEFAULT_TRAIN_OPTIONS.abft, lr: 1e-3 }), labels);
    const metrics = await trainer.step();
    expect(metrics.passingHeads).toBe(0);
    expect(metrics.loss).toBe(0);
    expect(Array.from(await e.read(q))).toEqual(before);
    trainer.release();
    releaseModel(model);
  });

  it('is deterministic: the same seed gives the same metrics and weights, another seed other prompts', async () => {
    const run = async (seed: number) => {
      const { e, model, prompts, labels } = await setup('gpt2');
      const trainer = new Trainer(e, model, prompts, options({ seed, lr: 1e-3 }), labels);
      const losses = [(await trainer.step()).loss, (await trainer.step()).loss];
      const q = Array.from(await e.read(model.weights.layers[1].q.weight));
      const order = trainer.pseudoBatchPrompts(0).map((p) => p.ids.length);
      trainer.release();
      releaseModel(model);
      return { losses, q, order };
    };
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    expect(b.losses).toEqual(a.losses);
    expect(b.q).toEqual(a.q);
    expect(c.order).not.toEqual(a.order);
  });

  it('raises the attention on correct labels and lowers it on wrong ones over a few steps (synthetic task, 𝒜 = 2)', async () => {
    const { e, model, prompts, labels } = await setup('llama', 16);
    const trainer = new Trainer(e, model, prompts, options({ abft: { ...ALL_HEADS, punishment: 2 }, pseudoBatch: 16, microBatch: 8, lr: 2e-2 }), labels);
    const mean = (m: Awaited<ReturnType<Trainer['step']>>, key: 'plus' | 'minus') => {
      const cells = m.perLayerHead!.flat();
      return cells.reduce((s, c) => s + c[key], 0) / cells.length;
    };
    const first = await trainer.step();
    let last = first;
    for (let i = 0; i < 11; i++) last = await trainer.step();
    // Seen on lavapipe: I⁺ 0.011 -> 0.093, I⁻ 0.013 -> 0.0012 over 12 steps.
    expect(mean(last, 'plus')).toBeGreaterThan(2 * mean(first, 'plus'));
    expect(mean(last, 'minus')).toBeLessThan(mean(first, 'minus') / 2);
    expect(last.loss).toBeLessThan(first.loss);
    trainer.release();
    releaseModel(model);
  });

  it('allocates no GPU memory in steady state', async () => {
    const { e, model, prompts, labels } = await setup('qwen2');
    const trainer = new Trainer(e, model, prompts, options({}), labels);
    await trainer.step();
    await trainer.step();
    const before = e.memory().buffersCreated;
    await trainer.step();
    await trainer.step();
    expect(e.memory().buffersCreated).toBe(before);
    trainer.release();
    releaseModel(model);
  });
});

describe('end-to-end baseline step', () => {
  it('trains on the cross-entropy of the gold label token, over the full vocabulary or the label words', async () => {
    for (const endToEndVocabulary of ['full', 'label-words'] as const) {
      const { e, model, prompts, labels } = await setup('gpt2');
      const trainer = new Trainer(e, model, prompts, options({ objective: 'end-to-end', endToEndVocabulary, lr: 3e-3 }), labels);
      const first = await trainer.step();
      let last = first;
      for (let i = 0; i < 5; i++) last = await trainer.step();
      expect(first.perLayerHead).toBeNull();
      expect(last.loss, endToEndVocabulary).toBeLessThan(first.loss);
      trainer.release();
      releaseModel(model);
    }
  });

  it("with label words of several tokens: the loss is the float64 reference's teacher-forced cross-entropy of the gold word, and each W_Q step opposes the finite difference", async () => {
    const { e, tensors: base, model, prompts } = await setup('gpt2', 3);
    const V = model.spec.vocabSize;
    const labels: LabelTargets = { scoring: 'sequence', words: ['ab', 'cde'], tokens: [[3, 7], [V - 1, 5, 9]] };
    const opts = options({ objective: 'end-to-end', pseudoBatch: 3, microBatch: 3, lr: 1e-3, beta1: 0, beta2: 0, eps: 1e-30 });
    const trainer = new Trainer(e, model, prompts, opts, labels);
    const batchPrompts = trainer.pseudoBatchPrompts(0);
    expect(new Set(batchPrompts.map((p) => p.gold)).size).toBe(2);
    const tensors = base as Map<string, { shape: readonly number[]; data: Float64Array }>;
    // Mean over the prompts of -Σ_j log p(t_j | prompt, t_1..t_{j-1}) over the whole vocabulary.
    const refLoss = (t: HfTensors): number =>
      batchPrompts.reduce((sum, p) => {
        const gold = labels.tokens[p.gold];
        const batch = packBatch([[...p.ids, ...gold.slice(0, -1)]], 0);
        const logits = referenceForward(model.spec, t, batch, { logits: { rows: Int32Array.from(gold, (_, j) => p.ids.length - 1 + j) } }).logits!;
        return sum - gold.reduce((s, token, j) => s + logSoftmaxAt(logits.subarray(j * V, (j + 1) * V), token), 0);
      }, 0) / batchPrompts.length;
    const name = 'transformer.h.0.attn.c_attn.weight';
    const qBefore = Float32Array.from(await e.read(model.weights.layers[0].q.weight));
    const metrics = await trainer.step();
    expect(Math.abs(metrics.loss - refLoss(tensors))).toBeLessThan(1e-5 * Math.abs(metrics.loss));
    const qAfter = await e.read(model.weights.layers[0].q.weight);
    // GPT-2's c_attn is [in, 3C] in the file, q its first C columns; the GPU holds q as [in, C].
    const [inDim, cols] = tensors.get(name)!.shape;
    const C = cols / 3;
    let checked = 0;
    for (let i = 0; i < inDim && checked < 6; i += 5) {
      for (let o = 0; o < C && checked < 6; o += 7) {
        const w = tensors.get(name)!.data;
        const h = 1e-4;
        const keep = w[i * cols + o];
        w[i * cols + o] = keep + h;
        const plus = refLoss(tensors);
        w[i * cols + o] = keep - h;
        const minus = refLoss(tensors);
        w[i * cols + o] = keep;
        const fd = (plus - minus) / (2 * h);
        if (Math.abs(fd) < 1e-4) continue;
        const step = qAfter[i * C + o] - qBefore[i * C + o];
        expect(Math.sign(step), `W_Q[${i}, ${o}]: step ${step}, finite difference ${fd}`).toBe(-Math.sign(fd));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
    trainer.release();
    releaseModel(model);
  });

  it("refuses the label words' vocabulary for words of several tokens, naming the word and what to do", async () => {
    const { e, model, prompts } = await setup('gpt2', 3);
    const labels: LabelTargets = { scoring: 'sequence', words: ['ab', 'cde'], tokens: [[3], [4, 5, 9]] };
    expect(() => new Trainer(e, model, prompts, options({ objective: 'end-to-end', endToEndVocabulary: 'label-words' }), labels)).toThrow(
      /^The end-to-end baseline over the label words only \('label-words'\) takes one token per label word, but with label scoring 'sequence' "cde" is 3 tokens; train over the full vocabulary, or score the labels by their first or last token \(--label-scoring/,
    );
    const byFirst: LabelTargets = { scoring: 'first', words: labels.words, tokens: [[3], [4]] };
    const trainer = new Trainer(e, model, prompts, options({ objective: 'end-to-end', endToEndVocabulary: 'label-words', labelScoring: 'first', pseudoBatch: 3 }), byFirst);
    expect(Number.isFinite((await trainer.step()).loss)).toBe(true);
    trainer.release();
    releaseModel(model);
  });
});

/** Float64 log softmax(row)[token]. */
function logSoftmaxAt(row: Float64Array, token: number): number {
  const m = Math.max(...row);
  return row[token] - m - Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
}
