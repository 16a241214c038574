import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Engine } from '../engine/engine';
import { expectClose } from '../engine/testing/compare';
import { finiteDifferenceAt } from '../engine/testing/finite-diff';
import { expectSteadyState, testEngine } from '../engine/testing/gpu';
import { randomArray, randomInts, rng } from '../engine/random';
import { architectureModule, ARCHITECTURE_IDS } from './arch';
import type { LinearTensors, NormTensors } from './arch/types';
import { backward } from './backward';
import { lastTokenRows, packBatch, type TokenBatch } from './batch';
import { createTrainableGrads, releaseGrads, zeroGrads, type ParamGrad, type TrainableGrads } from './grads';
import { releaseWeights } from './load';
import { countTargets, nextTokenLossBackward, nextTokenTargets } from './next-token-loss';
import { referenceForward, type HfTensor } from './reference/forward';
import type { Architecture, ModelSpec } from './spec';
import { loadTinyModel, type TinyWeights } from './testing/tiny-loaded';
import { trainingForward } from './training-forward';

// As in backward.test.ts: f32 gradients through two layers of ~10 ops on O(1) activations stay
// near 1e-6 of the largest gradient; 1e-4 of each tensor's largest sampled gradient leaves room
// without hiding a mistake (a wrong or missing term shows as 1e-2 or more). The float64 central
// differences (step 1e-5) are exact to ~1e-9. Observed on the generated tiny models (lavapipe),
// worst error / largest sampled gradient of a tensor: next-token loss 9.9e-7 (llama) to 4.2e-6
// (gemma3); logits tape 6.7e-7 to 2.5e-6; left-padded 1.2e-6 to 2.5e-5 (qwen2); chunked
// vocabulary in row blocks 1.3e-6 (gpt2, tied) and 6.3e-6 (llama, untied).
const TOL = 1e-4;
const FD_STEP = 1e-5;
/** Entries checked per tensor (weights and biases alike): a third from rows the batch uses where the tensor is a table. */
const SAMPLES = 10;
const LENGTHS = [7, 4, 6];

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

function sequences(spec: ModelSpec, seed: number, lengths = LENGTHS): number[][] {
  return lengths.map((n, i) => [...randomInts(n, spec.vocabSize, seed + i)]);
}

async function loadTiny(arch: Architecture, opts: { tied?: boolean; vocabularyChunkRows?: number } = {}): Promise<TinyWeights> {
  const { model, tensors } = await loadTinyModel(e, arch, { frozenDType: 'f32', tiny: { tied: opts.tied }, vocabularyChunkRows: opts.vocabularyChunkRows });
  return { spec: model.spec, weights: model.weights, tensors };
}

/** Where entry k of an engine tensor (row-major in the engine's layout) lives in the HF checkpoint's float64 tensors. */
function hfLocator(m: TinyWeights): (p: ParamGrad, k: number) => { data: Float64Array; index: number } {
  const names = architectureModule(m.spec.architecture).tensors(m.spec, (n) => m.tensors.has(n));
  const get = (t: { name: string }): HfTensor => m.tensors.get(t.name)!;
  const C = m.spec.hiddenSize;
  const chunkRows = m.weights.tokenEmbedding.chunkRows;
  return (p, k) => {
    const parts = p.name.split('.');
    if (parts[0] === 'tokenEmbedding' || parts[0] === 'lmHead') {
      const t = get(parts[0] === 'lmHead' ? names.lmHead : names.tokenEmbedding);
      return { data: t.data, index: Number(parts[1]) * chunkRows * C + k };
    }
    if (parts[0] === 'positionEmbedding') return { data: get(names.positionEmbedding!).data, index: k };
    if (parts[0] === 'finalNorm') return { data: get(parts[1] === 'bias' ? names.finalNorm.bias! : names.finalNorm.weight).data, index: k };
    const [, l, part, which] = parts;
    const desc = names.layers[Number(l)][part as keyof (typeof names.layers)[number]] as LinearTensors | NormTensors;
    if (desc.kind === 'norm') return { data: get(which === 'bias' ? desc.bias! : desc.weight).data, index: k };
    const t = get(which === 'bias' ? desc.bias! : desc.weight);
    const from = desc.layout.kind === 'conv1d' ? desc.layout.from : 0;
    if (which === 'bias') return { data: t.data, index: from + k };
    const out = p.param.shape[1];
    const [i, o] = [Math.floor(k / out), k % out];
    return { data: t.data, index: desc.layout.kind === 'conv1d' ? i * t.shape[1] + from + o : o * t.shape[1] + i };
  };
}

/** Entries of a tensor to check: random ones, and for the embedding tables rows the batch reads (elsewhere an untied embedding's gradient is 0). */
function samples(p: ParamGrad, batch: TokenBatch, seed: number, chunkRows: number, count: number, headRows: Int32Array | null): { picks: number[]; mayBeZero: boolean } {
  const r = rng(seed);
  const n = p.param.size;
  const C = p.param.shape[p.param.rank - 1];
  const picks = Array.from({ length: count }, () => Math.floor(r() * n));
  const [kind, chunk] = p.name.split('.');
  if (kind !== 'tokenEmbedding' && kind !== 'positionEmbedding' && kind !== 'lmHead') return { picks, mayBeZero: false };
  const first = kind === 'positionEmbedding' ? 0 : Number(chunk) * chunkRows;
  // Rows whose gradient is not zero: those of every real token but each sequence's last (whose
  // embedding nothing reads: it predicts no target and no later token attends to it); the head's
  // rows are all scored by the next-token loss, only `headRows` by a loss on chosen logits.
  const read = (i: number) => batch.keyMask[i] === 1 && (i + 1) % batch.T !== 0 && batch.keyMask[i + 1] === 1;
  const tokens = Array.from({ length: batch.B * batch.T }, (_, i) => i).filter(read);
  const rows = kind === 'positionEmbedding' ? tokens.map((i) => batch.positions[i]) : kind === 'lmHead' ? [...(headRows ?? [])] : tokens.map((i) => batch.ids[i]);
  const used = [...new Set(rows)].map((v) => v - first).filter((v) => v >= 0 && v < p.param.shape[0]);
  for (let s = 0; s < Math.ceil(count / 3) && used.length > 0; s++) picks[s] = used[Math.floor(r() * used.length)] * C + Math.floor(r() * C);
  // An untied chunk none of whose rows the loss reads has a zero gradient (which the check still compares).
  return { picks, mayBeZero: used.length === 0 && !(kind === 'lmHead' && !headRows) };
}

/** Worst |GPU - FD| / largest |FD| of each tensor, across the tests: the figures the report quotes. */
const worst = new Map<string, number>();

/** Every gradient in `grads.params` against central differences of the float64 reference loss, within TOL of the tensor's largest sampled gradient. */
async function checkAgainstFiniteDifferences(
  label: string,
  m: TinyWeights,
  grads: TrainableGrads,
  batch: TokenBatch,
  loss: () => number,
  seed: number,
  opts: { samples?: number; headRows?: Int32Array } = {},
): Promise<void> {
  const locate = hfLocator(m);
  let worstHere = 0;
  let weightScale = 0;
  for (const [n, p] of grads.params.entries()) {
    const values = (await e.read(p.grad)) as Float32Array;
    const headRows = opts.headRows ?? null;
    const tiedHead = m.spec.tieWordEmbeddings && p.name.startsWith('tokenEmbedding') && headRows === null;
    const { picks, mayBeZero } = samples(p, batch, seed + n, m.weights.tokenEmbedding.chunkRows, opts.samples ?? SAMPLES, tiedHead ? null : headRows);
    const got = picks.map((k) => values[k]);
    const want = picks.map((k) => {
      const { data, index } = locate(p, k);
      return finiteDifferenceAt(loss, data, index, FD_STEP);
    });
    const scale = Math.max(...want.map(Math.abs));
    // GPT-2's k bias has no gradient (softmax ignores a shift shared by all keys): its f32 value is
    // rounding noise, judged against the scale of the k weight's gradient listed just before it.
    const zeroBias = /\.k\.bias$/.test(p.name) && scale < 1e-6;
    if (!zeroBias && !mayBeZero) expect(scale, `${p.name}: the sampled gradients are all zero, so the check would prove nothing`).toBeGreaterThan(1e-6);
    const err = Math.max(...got.map((g, i) => Math.abs(g - want[i])));
    if (scale > 1e-6) worstHere = Math.max(worstHere, err / scale);
    expectClose(got, want, { rtol: 0, atol: TOL * Math.max(zeroBias ? weightScale : scale, 1e-6) }, `${label}: ${p.name}`);
    if (p.name.endsWith('.weight')) weightScale = scale;
  }
  worst.set(label, Math.max(worst.get(label) ?? 0, worstHere));
}

/** The float64 next-token cross-entropy, summed over every position with a target. */
function referenceNextTokenLoss(m: TinyWeights, batch: TokenBatch): number {
  const { B, T } = batch;
  const V = m.spec.vocabSize;
  const rows = Int32Array.from({ length: B * T }, (_, i) => i % T);
  const logits = referenceForward(m.spec, m.tensors, batch, { logits: { rows } }).logits!;
  const targets = nextTokenTargets(batch);
  let loss = 0;
  for (let i = 0; i < B * T; i++) {
    if (targets[i] < 0) continue;
    const row = logits.subarray(i * V, (i + 1) * V);
    const max = Math.max(...row);
    loss += max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) - row[targets[i]];
  }
  return loss;
}

/** Forward with a next-token tape, backward into `grads`; returns the summed loss as read back. */
async function pretrainGradients(m: TinyWeights, batch: TokenBatch, grads: TrainableGrads): Promise<number> {
  const tape = trainingForward(e, m.spec, m.weights, batch, { upTo: 'next-token', throughEmbeddings: true });
  expect(tape.probs).toEqual([]);
  const { nextTokenLoss } = backward(e, m.spec, m.weights, tape, {}, grads);
  const perRow = (await e.read(nextTokenLoss!)) as Float32Array;
  nextTokenLoss!.release();
  return perRow.reduce((s, v) => s + v, 0);
}

describe.each(ARCHITECTURE_IDS)('training every weight of a tiny %s model', (arch) => {
  let m: TinyWeights;
  let batch: TokenBatch;
  const made: TrainableGrads[] = [];
  const gradsFor = () => {
    const g = createTrainableGrads(e, m.spec, m.weights, 'all');
    made.push(g);
    return g;
  };
  beforeAll(async () => {
    m = await loadTiny(arch);
    batch = packBatch(sequences(m.spec, 5), 0);
  });
  afterAll(() => {
    for (const g of made) releaseGrads(g);
    releaseWeights(m.weights);
    console.log(`[${arch}] worst |GPU - FD| / max|FD| per test: ${[...worst].filter(([k]) => k.startsWith(arch)).map(([k, v]) => `${k.slice(arch.length + 1)} ${v.toExponential(2)}`).join('; ')}`);
  });

  it('names a gradient for every weight tensor of the model, each once', () => {
    const grads = gradsFor();
    const names = grads.params.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(grads.params.map((p) => p.param)).size).toBe(names.length);
    const tensorCount = architectureModule(m.spec.architecture)
      .tensors(m.spec, (n) => m.tensors.has(n))
      .layers.flatMap((l) => Object.values(l).filter((p) => p !== null))
      .reduce((n, part) => n + 1 + (part!.bias ? 1 : 0), 0);
    const modelLevel = names.filter((n) => !n.startsWith('layers.')).length;
    expect(names.length - modelLevel).toBe(tensorCount);
    expect(grads.model!.lmHead === null).toBe(m.spec.tieWordEmbeddings);
    expect(grads.entries.map((g) => g.which).slice(0, 7)).toEqual(m.spec.mlp === 'gelu' ? ['q', 'k', 'v', 'o', 'up', 'down', 'q'] : ['q', 'k', 'v', 'o', 'gate', 'up', 'down']);
  });

  it('next-token cross-entropy over every position: the loss equals the float64 reference and every gradient equals finite differences', async () => {
    const grads = gradsFor();
    const loss = await pretrainGradients(m, batch, grads);
    const want = referenceNextTokenLoss(m, batch);
    expect(Math.abs(loss - want) / want).toBeLessThan(1e-5);
    await checkAgainstFiniteDifferences(`${arch} next-token`, m, grads, batch, () => referenceNextTokenLoss(m, batch), 11);
  });

  it('end to end through the logits tape (dL/dlogits of label words, the head gathered by rows): every gradient equals finite differences', async () => {
    const grads = gradsFor();
    const vocab = Int32Array.from([7, m.spec.vocabSize - 1, 2, 7]);
    const up = randomArray(batch.B * vocab.length, 31);
    const tape = trainingForward(e, m.spec, m.weights, batch, { lossRows: lastTokenRows(batch), upTo: 'logits', logitsVocab: vocab, throughEmbeddings: true });
    const logitsGrad = e.upload(up, [batch.B, 1, vocab.length]);
    backward(e, m.spec, m.weights, tape, { logitsGrad }, grads);
    for (const t of [...tape.probs, tape.logits, logitsGrad]) t?.release();
    const rows = lastTokenRows(batch);
    const loss = () => referenceForward(m.spec, m.tensors, batch, { logits: { rows, vocab } }).logits!.reduce((s, v, i) => s + v * up[i], 0);
    await checkAgainstFiniteDifferences(`${arch} logits`, m, grads, batch, loss, 13, { headRows: vocab });
  });

  it('next-token loss plus a loss on the attention of two rows per sequence in every layer: every gradient equals finite differences', async () => {
    const grads = gradsFor();
    // Rows 1 and the last real token's: padding rows are not among them (they attend nowhere).
    const rows = Int32Array.from(LENGTHS.flatMap((n) => [1, n - 1]));
    const H = m.spec.numHeads;
    const up = Array.from({ length: m.spec.numLayers }, (_, l) => randomArray(batch.B * H * 2 * batch.T, 41 + l));
    const tape = trainingForward(e, m.spec, m.weights, batch, { upTo: 'next-token', throughEmbeddings: true, attentionRows: rows });
    expect(tape.probs.map((p) => p.shape)).toEqual(up.map(() => [batch.B, H, 2, batch.T]));
    const probsGrad = up.map((u) => e.upload(u, [batch.B, H, 2, batch.T]));
    const { nextTokenLoss } = backward(e, m.spec, m.weights, tape, { probsGrad }, grads);
    for (const t of [...tape.probs, ...probsGrad, nextTokenLoss!]) t.release();
    const loss = () => {
      const attention = referenceForward(m.spec, m.tensors, batch, { attention: { rows } }).attention!;
      return referenceNextTokenLoss(m, batch) + attention.reduce((s, a, l) => s + a.reduce((t, v, i) => t + v * up[l][i], 0), 0);
    };
    await checkAgainstFiniteDifferences(`${arch} next-token+attention`, m, grads, batch, loss, 23, { samples: 4 });
  });

  it('next-token loss on a left-padded batch (padding rows see no key and have no target): every gradient equals finite differences', async () => {
    const left = packBatch(sequences(m.spec, 5), 0, { side: 'left' });
    const grads = gradsFor();
    const loss = await pretrainGradients(m, left, grads);
    expect(Math.abs(loss - referenceNextTokenLoss(m, left)) / loss).toBeLessThan(1e-5);
    await checkAgainstFiniteDifferences(`${arch} left-padded`, m, grads, left, () => referenceNextTokenLoss(m, left), 19, { samples: 4 });
  });

  it('allocates no new buffers from the second pretraining step on', async () => {
    const grads = gradsFor();
    await expectSteadyState(e, async () => {
      zeroGrads(e, grads);
      await pretrainGradients(m, batch, grads);
    });
  });
});

describe('training every weight with the vocabulary split into chunks and the loss in row blocks', () => {
  // 3 sequences of up to 40 tokens: 120 rows, so blocks of 64 rows make two, the second partial.
  const lengths = [40, 23, 31];
  it.each([
    ['gpt2', true],
    ['llama', false],
  ] as const)('%s (tied: %s), embedding and head in chunks of 7 rows: the loss and every gradient equal the float64 reference and finite differences', async (arch, tied) => {
    const m = await loadTiny(arch, { tied, vocabularyChunkRows: 7 });
    expect(m.weights.tokenEmbedding.chunks.length).toBeGreaterThan(2);
    expect(m.spec.tieWordEmbeddings).toBe(tied);
    const batch = packBatch(sequences(m.spec, 9, lengths), 0);
    const blockRows = e.storageAlignment / 4;
    expect(batch.B * batch.T).toBeGreaterThan(blockRows);
    const grads = createTrainableGrads(e, m.spec, m.weights, 'all');
    const tape = trainingForward(e, m.spec, m.weights, batch, { upTo: 'next-token', throughEmbeddings: true });
    // The backward's own head with small blocks, then the layers as `backward` runs them.
    const { nextTokenLoss } = backward(e, m.spec, m.weights, tape, {}, grads);
    const loss = ((await e.read(nextTokenLoss!)) as Float32Array).reduce((s, v) => s + v, 0);
    const want = referenceNextTokenLoss(m, batch);
    expect(Math.abs(loss - want) / want).toBeLessThan(1e-5);
    expect(countTargets(nextTokenTargets(batch))).toBe(lengths.reduce((s, n) => s + n - 1, 0));
    await checkAgainstFiniteDifferences(`${arch} chunked`, m, grads, batch, () => referenceNextTokenLoss(m, batch), 17, { samples: 4 });
    // The head alone in blocks of 64 rows gives the same loss and head gradients as one block.
    const hTape = trainingForward(e, m.spec, m.weights, batch, { upTo: 'next-token', throughEmbeddings: true });
    const heads = [blockRows, 1024].map((rows) => {
      const g = createTrainableGrads(e, m.spec, m.weights, 'all');
      const r = nextTokenLossBackward(e, m.spec, m.weights, hTape.nextToken!.h, hTape.nextToken!.targets, g.model, rows);
      return { g, ...r };
    });
    for (const [a, b] of [[heads[0].loss, heads[1].loss], [heads[0].dh, heads[1].dh], ...heads[0].g.params.map((p, i) => [p.grad, heads[1].g.params[i].grad])]) {
      expectClose((await e.read(a)) as Float32Array, (await e.read(b)) as Float32Array, { rtol: 1e-6 }, 'blocks of 64 rows against one block');
    }
    for (const h of heads) {
      releaseGrads(h.g);
      h.loss.release();
      h.dh.release();
    }
    hTape.release();
    nextTokenLoss!.release();
    releaseGrads(grads);
    releaseWeights(m.weights);
    console.log(`[${arch} chunked] worst |GPU - FD| / max|FD|: ${worst.get(`${arch} chunked`)!.toExponential(2)}`);
  });
});

describe('the fine-tuning sets stay as cheap as before full training existed', () => {
  it.each(['gpt2', 'gemma3'] as const)('%s: q/k and attention steps launch no norm-weight gradient and no embedding gradient; the set all does', async (arch) => {
    const m = await loadTiny(arch);
    const batch = packBatch(sequences(m.spec, 5), 0);
    const launched = async (set: 'qk' | 'attention' | 'all') => {
      const grads = createTrainableGrads(e, m.spec, m.weights, set);
      const names: string[] = [];
      const run = e.run.bind(e);
      const spy = vi.spyOn(e, 'run').mockImplementation((k, c) => {
        names.push(k.name);
        run(k, c);
      });
      const vocab = Int32Array.from([7, 2]);
      const tape = trainingForward(e, m.spec, m.weights, batch, { lossRows: lastTokenRows(batch), upTo: 'logits', logitsVocab: vocab, throughEmbeddings: set === 'all' });
      const logitsGrad = e.upload(randomArray(batch.B * vocab.length, 3), [batch.B, 1, vocab.length]);
      backward(e, m.spec, m.weights, tape, { logitsGrad }, grads);
      spy.mockRestore();
      for (const t of [...tape.probs, tape.logits, logitsGrad]) t?.release();
      await e.read(grads.params[0].grad);
      releaseGrads(grads);
      return names;
    };
    const paramGrads = (names: string[]) => names.filter((n) => /_param_grads$/.test(n)).length;
    const scatters = (names: string[]) => names.filter((n) => n === 'embedding_backward').length;
    for (const set of ['qk', 'attention'] as const) {
      const names = await launched(set);
      expect(paramGrads(names), set).toBe(0);
      // The head's one scatter of the picked rows' gradient into dh; nothing into an embedding table.
      expect(scatters(names), set).toBe(1);
    }
    const all = await launched('all');
    // One weight-gradient pass per norm the model has (Gemma 3: also QK-norm and the post-norms) and the final one.
    const norms = m.weights.layers.reduce((n, l) => n + [l.attentionNorm, l.mlpNorm, l.qNorm, l.kNorm, l.postAttentionNorm, l.postMlpNorm].filter(Boolean).length, 1);
    expect(paramGrads(all)).toBe(norms);
    expect(scatters(all)).toBeGreaterThan(1);
    releaseWeights(m.weights);
  });
});

describe('full training refuses what it cannot do', () => {
  it('names the problem', async () => {
    const m = await loadTiny('llama');
    const batch = packBatch([[1, 2, 3]], 0);
    const grads = createTrainableGrads(e, m.spec, m.weights, 'all');
    const tape = trainingForward(e, m.spec, m.weights, batch, { upTo: 'next-token' });
    expect(() => backward(e, m.spec, m.weights, tape, {}, grads)).toThrow(/reaches the embeddings; run trainingForward with throughEmbeddings: true/);
    tape.release();
    expect(() => trainingForward(e, m.spec, m.weights, batch, { upTo: 'next-token', lossRows: Int32Array.from([2]) })).toThrow(/give no lossRows/);
    expect(() => trainingForward(e, m.spec, m.weights, batch, { upTo: 'logits' })).toThrow(/needs lossRows/);
    expect(() => trainingForward(e, m.spec, m.weights, batch, { upTo: 'logits', lossRows: Int32Array.from([2]), attentionRows: Int32Array.from([2]) })).toThrow(/attentionRows are only used with upTo 'next-token'/);
    const plain = trainingForward(e, m.spec, m.weights, batch, { upTo: 'next-token', throughEmbeddings: true });
    const stray = e.upload(new Float32Array(m.spec.numHeads * 3), [1, m.spec.numHeads, 1, 3]);
    expect(() => backward(e, m.spec, m.weights, plain, { probsGrad: m.weights.layers.map(() => stray) }, grads)).toThrow(/recorded no attention; run trainingForward with attentionRows/);
    plain.release();
    stray.release();
    releaseGrads(grads);
    releaseWeights(m.weights);
    const f16 = await loadTinyModel(e, 'llama', { frozenDType: 'f16' });
    if (e.features.shaderF16) expect(() => createTrainableGrads(e, f16.model.spec, f16.model.weights, 'all')).toThrow(/layers.0.v.weight is f16; trainable weights must be f32 \(load with frozenDType 'f32'\)/);
    releaseWeights(f16.model.weights);
  });
});
