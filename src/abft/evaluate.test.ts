import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { syntheticPrompt, syntheticSentiment } from '../data/synthetic';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { expectClose } from '../engine/testing/compare';
import { testEngine } from '../engine/testing/gpu';
import { lastTokenRows, packBatch } from '../model/batch';
import { releaseModel, type LoadedModel } from '../model/load';
import { referenceForward, type HfTensors } from '../model/reference/forward';
import { ARCHITECTURE_IDS } from '../model/arch';
import type { Architecture } from '../model/spec';
import { evaluate, predict, type Predictions } from './evaluate';
import { accuracy, confusionMatrix, macroF1 } from './metrics';
import { preparePrompts, type PreparedPrompt } from './prepared';
import { labelTargets, type LabelTargets } from './label-scoring';
import { templateOf } from './prompts';
import { sampleTrainingPrompts } from './sampling';
import { compareReports, evaluationSuite, prepareSuite, runSuite, type SuiteMeasures, type SuiteReport } from './suite';
import { loadTinyModel } from '../model/testing/tiny-loaded';

const K = 4;
const template = templateOf(syntheticPrompt(3));

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

async function load(arch: Architecture): Promise<{ model: LoadedModel; tensors: HfTensors }> {
  return loadTinyModel(e, arch);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < values.length; c++) if (values[c] > values[best]) best = c;
  return best;
}

/** Float64 log softmax(row)[token]. */
function logSoftmaxAt(row: Float64Array, token: number): number {
  const m = Math.max(...row);
  return row[token] - m - Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
}

/** Labels scored by one token each, by logit: any ids, to pick ones whose order differs between prompts. */
const byLogit = (ids: readonly number[]): LabelTargets => ({ scoring: 'first', words: ids.map((id) => `w${id}`), tokens: ids.map((id) => [id]) });

describe.each(ARCHITECTURE_IDS)('predict on a tiny %s model', (arch) => {
  let model: LoadedModel;
  let tensors: HfTensors;
  let prompts: PreparedPrompt[];
  let ids: number[];
  beforeAll(async () => {
    ({ model, tensors } = await load(arch));
    const data = syntheticSentiment({ size: 48, seed: 5, classes: 3 });
    const draws = sampleTrainingPrompts(data.rows, 5, K, 11);
    prompts = preparePrompts(model.tokenizer!, template, draws, { maxPositions: model.spec.maxPositions, what: 'test prompt' });
    ids = labelTargets(model.tokenizer!, template, 'first').tokens.map(([id]) => id);
  });
  afterAll(() => releaseModel(model));

  /** The float64 reference logits over the whole vocabulary at `row` of each sequence, run alone. */
  function referenceRows(sequence: readonly number[], rows: readonly number[]): Float64Array[] {
    const batch = packBatch([sequence], 0);
    const V = model.spec.vocabSize;
    const logits = referenceForward(model.spec, tensors, batch, { logits: { rows: Int32Array.from(rows) } }).logits!;
    return rows.map((_, j) => logits.subarray(j * V, (j + 1) * V));
  }

  it('by logit: equals the argmax of the float64 reference logits over the label ids, one label-sized readback per micro-batch', async () => {
    const read = vi.spyOn(e, 'read');
    const progress: number[] = [];
    const got = await predict(e, model, prompts, byLogit(ids), { microBatch: 2, onProgress: (done) => progress.push(done) });
    const readSizes = read.mock.calls.map(([t]) => (t as Tensor).size);
    read.mockRestore();
    // 5 prompts in micro-batches of 2, 2, 1: each read is [B, classes], never a vocabulary row.
    expect(readSizes).toEqual([2 * 3, 2 * 3, 1 * 3]);
    expect(progress).toEqual([2, 4, 5]);
    await expectReference(got, ids);
  });

  it('by logit: matches the reference on two token ids whose order differs between prompts', async () => {
    // A random tiny model gives every prompt the same label-word answer, so pick two vocabulary ids
    // that some prompts rank one way and others the other way, as far from a tie as possible.
    const batch = packBatch(prompts.map((p) => p.ids), 0);
    const V = model.spec.vocabSize;
    const full = referenceForward(model.spec, tensors, batch, { logits: { rows: lastTokenRows(batch) } }).logits!;
    let best = { pair: [0, 1], margin: 0 };
    for (let a = 0; a < V; a++) {
      for (let b = a + 1; b < V; b++) {
        const d = prompts.map((_, i) => full[i * V + a] - full[i * V + b]);
        const margin = Math.min(...d.map(Math.abs));
        if (d.some((v) => v > 0) && d.some((v) => v < 0) && margin > best.margin) best = { pair: [a, b], margin };
      }
    }
    expect(best.margin).toBeGreaterThan(1e-3);
    const got = await predict(e, model, prompts, byLogit(best.pair), { microBatch: 2 });
    expect(new Set(got.predictions).size).toBe(2);
    await expectReference(got, best.pair);
  });

  async function expectReference(got: Predictions, vocab: readonly number[]): Promise<void> {
    const batch = packBatch(prompts.map((p) => p.ids), 0);
    const want = referenceForward(model.spec, tensors, batch, { logits: { rows: lastTokenRows(batch), vocab: Int32Array.from(vocab) } }).logits!;
    // Same tolerance as forward.test.ts: f32 sums of O(1) terms through two layers.
    expectClose(got.scores, want, { rtol: 1e-4 }, `${arch} label logits`);
    const C = vocab.length;
    expect(got.predictions).toEqual(prompts.map((_, i) => argmax(want.subarray(i * C, (i + 1) * C))));
  }

  it('by sequence, single-token words: the full-vocabulary log-probabilities of the reference, the predictions of the logits, as many passes and readbacks', async () => {
    const labels: LabelTargets = { ...byLogit(ids), scoring: 'sequence' };
    const read = vi.spyOn(e, 'read');
    const got = await predict(e, model, prompts, labels, { microBatch: 2 });
    const readSizes = read.mock.calls.map(([t]) => (t as Tensor).size);
    read.mockRestore();
    expect(readSizes).toEqual([2 * 3, 2 * 3, 1 * 3]);
    const want = prompts.flatMap((p) => {
      const [row] = referenceRows(p.ids, [p.ids.length - 1]);
      return ids.map((id) => logSoftmaxAt(row, id));
    });
    expectClose(got.scores, want, { rtol: 1e-4, atol: 1e-5 }, `${arch} sequence scores`);
    // log-softmax shares the normaliser across classes: the same argmax as the logits.
    expect(got.predictions).toEqual((await predict(e, model, prompts, byLogit(ids), { microBatch: 2 })).predictions);
  });

  it('by sequence, words of several tokens: the teacher-forced log-probability of every token, as the float64 reference gives it', async () => {
    const V = model.spec.vocabSize;
    const labels: LabelTargets = { scoring: 'sequence', words: ['ab', 'c', 'def'], tokens: [[3, 7], [10], [V - 1, 5, 9]] };
    const progress: number[] = [];
    const got = await predict(e, model, prompts, labels, { microBatch: 3, onProgress: (done) => progress.push(done) });
    const want = prompts.flatMap((p) =>
      labels.tokens.map((tokens) => {
        const sequence = [...p.ids, ...tokens.slice(0, -1)];
        const rows = referenceRows(sequence, tokens.map((_, j) => p.ids.length - 1 + j));
        return tokens.reduce((sum, token, j) => sum + logSoftmaxAt(rows[j], token), 0);
      }),
    );
    expectClose(got.scores, want, { rtol: 1e-4, atol: 1e-5 }, `${arch} sequence scores of several tokens`);
    expect(got.predictions).toEqual(prompts.map((_, i) => argmax(want.slice(i * 3, (i + 1) * 3))));
    // 5 prompts of 2 runs each (one per word of several tokens) in micro-batches of 3 runs.
    expect(progress).toEqual([1, 3, 4, 5]);
    const alone = await predict(e, model, prompts, labels, { microBatch: 1 });
    expectClose(alone.scores, got.scores, { rtol: 1e-5, atol: 1e-6 }, `${arch} batched vs alone`);
  });

  it('predicts each prompt as it would alone: padding changes nothing', async () => {
    const batched = await predict(e, model, prompts, byLogit(ids), { microBatch: 5 });
    const alone = await predict(e, model, prompts, byLogit(ids), { microBatch: 1 });
    expect(batched.predictions).toEqual(alone.predictions);
    expectClose(batched.scores, alone.scores, { rtol: 1e-5 }, `${arch} batched vs alone`);
  });

  it('evaluate reports accuracy, macro-F1 and the confusion matrix of those predictions', async () => {
    const r = await evaluate(e, model, prompts, byLogit(ids), { microBatch: 3 });
    const gold = prompts.map((p) => p.gold);
    expect(r.count).toBe(5);
    expect(r.accuracy).toBe(accuracy(r.predictions, gold));
    expect(r.macroF1).toBe(macroF1(r.predictions, gold, 3));
    expect(r.confusion).toEqual(confusionMatrix(r.predictions, gold, 3));
  });

  it('names the prompt and the label word when an extended prompt passes the context length', async () => {
    const long = Array.from({ length: model.spec.maxPositions }, (_, i) => i % 50);
    const labels: LabelTargets = { scoring: 'sequence', words: ['ab', 'c'], tokens: [[3, 7], [10]] };
    await expect(predict(e, model, [prompts[0], { ...prompts[0], ids: long }], labels, { microBatch: 2 })).rejects.toThrow(
      `Prompt 2 is ${model.spec.maxPositions} tokens, and scoring the label word "ab" (2 tokens) after it takes ${model.spec.maxPositions + 1} positions, more than the model's limit of ${model.spec.maxPositions}`,
    );
  });
});

describe('evaluation suite on the synthetic data (tiny llama)', () => {
  const data = (() => {
    const rows = syntheticSentiment({ size: 30, seed: 2 }).rows;
    return { queries: rows.slice(0, 3), demoPool: rows.slice(3) };
  })();
  const all: SuiteMeasures = { test: true, demonstrationConsistency: true, templateConsistency: true, unseenLabel: true };
  const opts = { k: K, seed: 9, microBatch: 8, queriesForConsistency: 2, measures: all, labelScoring: 'sequence' as const };
  const twoClass = templateOf(syntheticPrompt(2));
  let model: LoadedModel;
  beforeAll(async () => {
    ({ model } = await load('llama'));
  });
  afterAll(() => releaseModel(model));

  it('draws the same prompts from the same seed, others from another, and unseen-label prompts never show the query label', () => {
    const prepare = (seed: number) => prepareSuite(model.tokenizer!, twoClass, data, { ...opts, seed, maxPositions: model.spec.maxPositions });
    const [a, b, c] = [prepare(9), prepare(9), prepare(10)];
    expect(b).toEqual(a);
    expect(c.test).not.toEqual(a.test);
    expect(a.test).toHaveLength(3 * 2);
    expect(a.demonstrationConsistency!.map((g) => g.length)).toEqual([8, 8]);
    expect(a.templateConsistency!.map((g) => g.length)).toEqual([9, 9]);
    // The nine templates write one query with the same demonstrations: same gold, distinct texts.
    for (const group of a.templateConsistency!) {
      expect(new Set(group.map((p) => p.gold)).size).toBe(1);
      expect(new Set(group.map((p) => p.ids.join(','))).size).toBe(9);
    }
    expect(a.unseenLabel).toHaveLength(3);
    for (const p of a.unseenLabel!) {
      expect(p.demonstrationLabels).not.toContain(p.gold);
      expect(p.plus).toEqual([]);
      expect(p.minus).toHaveLength(K);
    }
  });

  it('returns well-formed measures in [0, 1], the same on a second call, and zero deltas against itself', async () => {
    const stages = new Set<string>();
    const first = await evaluationSuite(e, model, model.tokenizer!, twoClass, data, { ...opts, onProgress: (m) => stages.add(m) });
    const second = await runSuite(e, model, prepareSuite(model.tokenizer!, twoClass, data, { ...opts, maxPositions: model.spec.maxPositions }), opts);
    expect(second).toEqual(first);
    expect([...stages]).toEqual(['test', 'demonstrationConsistency', 'templateConsistency', 'unseenLabel']);

    const { test, demonstrationConsistency, templateConsistency, unseenLabel } = first;
    for (const v of [test!.accuracy, test!.macroF1, demonstrationConsistency!.consistency, templateConsistency!.consistency, unseenLabel!.accuracy]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(test!.count).toBe(6);
    expect(test!.confusion.flat().reduce((s, v) => s + v, 0)).toBe(6);
    // With 8 (9) variants the most frequent of 2 classes takes at least half of them.
    expect(demonstrationConsistency!.consistency).toBeGreaterThanOrEqual(0.5);
    expect(templateConsistency).toMatchObject({ queries: 2, variantsPerQuery: 9 });
    expect(unseenLabel!.count).toBe(3);
    expect(compareReports(first, second)).toEqual({ test: { accuracy: 0, macroF1: 0 }, demonstrationConsistency: 0, templateConsistency: 0, unseenLabel: 0 });
  });

  it('skips measures not asked for, and refuses to compare reports of different prompts', async () => {
    const only = await evaluationSuite(e, model, model.tokenizer!, twoClass, data, { ...opts, measures: { ...all, test: false, demonstrationConsistency: false, templateConsistency: false } });
    expect(only).toMatchObject({ test: null, demonstrationConsistency: null, templateConsistency: null });
    const other: SuiteReport = { ...only, unseenLabel: { ...only.unseenLabel!, prompts: 'other' } };
    expect(compareReports(only, { ...only, unseenLabel: null })).toEqual({ test: null, demonstrationConsistency: null, templateConsistency: null, unseenLabel: null });
    expect(() => compareReports(only, other)).toThrow(/different unseenLabel prompts/);
  });
});
