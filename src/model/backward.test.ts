import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHalfBits, toHalfBits } from '../engine/dtype';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { expectClose } from '../engine/testing/compare';
import { finiteDifferenceAt } from '../engine/testing/finite-diff';
import { expectSteadyState, testEngine } from '../engine/testing/gpu';
import { randomArray, randomInts, rng } from '../engine/random';
import { backward } from './backward';
import { lastTokenRows, packBatch, type TokenBatch } from './batch';
import { createTrainableGrads, releaseGrads, zeroGrads, type LinearGrad, type Projection, type TrainableGrads, type TrainableSet } from './grads';
import { referenceForward } from './reference/forward';
import { ARCHITECTURE_IDS } from './arch';
import type { ModelSpec, ModelWeights } from './spec';
import { trainingForward, type Tape } from './training-forward';
import { loadTinyWeights, type TinyWeights } from './testing/tiny-loaded';
import { releaseWeights } from './load';

// The f32 gradients pass through two layers of ~10 ops on O(1) activations, each an f32 sum of at
// most ~130 terms, so their error stays near 1e-6 of the largest gradient; 1e-4 of the largest
// gradient of each projection (weight and bias together) leaves room without hiding a mistake,
// which shows as 1e-2 or more. The float64 central differences (step 1e-5) are exact to ~1e-9.
// Observed on the generated tiny models (lavapipe), worst error / largest gradient: ABFT 4.6e-7
// (gpt2), 3.0e-7 (llama), 2.7e-7 (qwen2); end to end 1.5e-6, 5.2e-7, 4.6e-7.
const TOL = 1e-4;
const FD_STEP = 1e-5;
/** Weight entries checked per projection and layer; every bias entry is checked. */
const SAMPLES = 20;
const LENGTHS = [7, 4, 6];

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

function sequences(spec: ModelSpec, seed: number): number[][] {
  return LENGTHS.map((n, i) => [...randomInts(n, spec.vocabSize, seed + i)]);
}

/** The upstream gradients of one step, as host arrays (f32 values) and their layouts. */
interface HostUpstream {
  /** Per layer [B, Hq, 1, T]. */
  readonly probs?: Float64Array[];
  /** [B, 1, V'] */
  readonly logits?: Float64Array;
}

function randomUpstream(spec: ModelSpec, batch: TokenBatch, mode: Tape['upTo'], vocab: Int32Array, seed: number): HostUpstream {
  if (mode === 'logits') return { logits: randomArray(batch.B * vocab.length, seed) };
  return { probs: Array.from({ length: spec.numLayers }, (_, l) => randomArray(batch.B * spec.numHeads * batch.T, seed + l)) };
}

/** The same upstream restricted to sequences `keep` of a batch padded to `T` (right padding keeps positions). */
function sliceUpstream(up: HostUpstream, spec: ModelSpec, Tall: number, keep: readonly number[], T: number, V: number): HostUpstream {
  if (up.logits) return { logits: Float64Array.from(keep.flatMap((b) => [...up.logits!.subarray(b * V, (b + 1) * V)])) };
  const H = spec.numHeads;
  return {
    probs: up.probs!.map((g) => {
      const out = new Float64Array(keep.length * H * T);
      keep.forEach((b, i) => {
        for (let h = 0; h < H; h++) out.set(g.subarray((b * H + h) * Tall, (b * H + h) * Tall + T), (i * H + h) * T);
      });
      return out;
    }),
  };
}

/** Forward, backward into `grads`, and release of everything the step made. */
function step(m: TinyWeights, batch: TokenBatch, mode: Tape['upTo'], vocab: Int32Array, up: HostUpstream, grads: TrainableGrads): void {
  const tape = trainingForward(e, m.spec, m.weights, batch, { lossRows: lastTokenRows(batch), upTo: mode, ...(mode === 'logits' && { logitsVocab: vocab }) });
  const probsGrad = up.probs?.map((g) => e.upload(g, [batch.B, m.spec.numHeads, 1, batch.T]));
  const logitsGrad = up.logits ? e.upload(up.logits, [batch.B, 1, vocab.length]) : undefined;
  backward(e, m.spec, m.weights, tape, { probsGrad, logitsGrad }, grads);
  for (const t of [...tape.probs, tape.logits, ...(probsGrad ?? []), logitsGrad]) t?.release();
}

/** The float64 loss Σ <G, α> or <G, logits> of the reference forward on `tensors`. */
function referenceLoss(m: TinyWeights, batch: TokenBatch, mode: Tape['upTo'], vocab: Int32Array, up: HostUpstream): number {
  const rows = lastTokenRows(batch);
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
  if (mode === 'logits') return dot(referenceForward(m.spec, m.tensors, batch, { logits: { rows, vocab } }).logits!, up.logits!);
  const { attention } = referenceForward(m.spec, m.tensors, batch, { attention: { rows }, stopAfterAttentionOf: m.spec.numLayers - 1 });
  return attention!.reduce((s, a, l) => s + dot(a, up.probs![l]), 0);
}

/** Where W[i, o] of the engine's [in, out] layout (or b[o]) lives in the HF tensors. */
function hfEntry(m: TinyWeights, g: LinearGrad, part: 'weight' | 'bias', i: number, o: number): { data: Float64Array; index: number } {
  const C = m.spec.hiddenSize;
  const get = (name: string) => m.tensors.get(name) ?? m.tensors.get(`transformer.${name}`)!;
  if (m.spec.architecture === 'gpt2') {
    // Conv1D weights are [in, out]; c_attn's output columns are q | k | v.
    const fused = g.which !== 'o';
    const t = get(`h.${g.layer}.attn.${fused ? 'c_attn' : 'c_proj'}.${part}`);
    const col = (fused ? 'qkv'.indexOf(g.which) * C : 0) + o;
    return { data: t.data, index: part === 'bias' ? col : i * t.shape[1] + col };
  }
  const t = get(`model.layers.${g.layer}.self_attn.${g.which}_proj.${part}`);
  return { data: t.data, index: part === 'bias' ? o : o * t.shape[1] + i };
}

/**
 * Every gradient in `grads` against central differences of the reference loss, on SAMPLES weight
 * entries and every bias entry, within TOL of each projection's largest gradient.
 */
async function checkAgainstFiniteDifferences(m: TinyWeights, grads: TrainableGrads, loss: () => number, seed: number): Promise<void> {
  for (const g of grads.entries) {
    const [inDim, outDim] = g.weight.shape;
    const r = rng(seed + 100 * g.layer + 'qkvo'.indexOf(g.which));
    const picks = Array.from({ length: SAMPLES }, () => [Math.floor(r() * inDim), Math.floor(r() * outDim)]);
    const weight = (await e.read(g.weight)) as Float32Array;
    const got = picks.map(([i, o]) => weight[i * outDim + o]);
    const want = picks.map(([i, o]) => {
      const { data, index } = hfEntry(m, g, 'weight', i, o);
      return finiteDifferenceAt(loss, data, index, FD_STEP);
    });
    if (g.bias) {
      got.push(...((await e.read(g.bias)) as Float32Array));
      for (let o = 0; o < outDim; o++) {
        const { data, index } = hfEntry(m, g, 'bias', 0, o);
        want.push(finiteDifferenceAt(loss, data, index, FD_STEP));
      }
    }
    const scale = Math.max(...want.map(Math.abs));
    expect(scale, `layer ${g.layer} ${g.which}: the sampled gradients are all zero, so the check would prove nothing`).toBeGreaterThan(1e-6);
    const what = `layer ${g.layer} ${g.which} (weight samples${g.bias ? ' then bias' : ''})`;
    expectClose(got, want, { rtol: 0, atol: TOL * scale }, what);
  }
}

const ARCHS = ARCHITECTURE_IDS;

describe.each(ARCHS)('backward of a tiny %s model', (arch) => {
  let m: TinyWeights;
  let batch: TokenBatch;
  let vocab: Int32Array;
  const made: TrainableGrads[] = [];
  const gradsFor = (set: TrainableSet) => {
    const g = createTrainableGrads(e, m.spec, m.weights, set);
    made.push(g);
    return g;
  };
  beforeAll(async () => {
    m = await loadTinyWeights(e, arch);
    batch = packBatch(sequences(m.spec, 5), 0);
    vocab = Int32Array.from([7, m.spec.vocabSize - 1, 2]);
  });
  afterAll(() => {
    for (const g of made) releaseGrads(g);
    releaseWeights(m.weights);
  });

  it('ABFT: dL/dα of every layer gives W_Q, W_K (and bias) gradients equal to float64 finite differences', async () => {
    const grads = gradsFor('qk');
    expect(grads.entries.map((g) => `${g.layer}${g.which}`)).toEqual(['0q', '0k', '1q', '1k']);
    expect(grads.entries.every((g) => (g.bias !== null) === m.spec.qkvBias)).toBe(true);
    const up = randomUpstream(m.spec, batch, 'last-attention', vocab, 21);
    const tape = trainingForward(e, m.spec, m.weights, batch, { lossRows: lastTokenRows(batch), upTo: 'last-attention' });
    expect(tape.logits).toBeNull();
    const want = referenceForward(m.spec, m.tensors, batch, { attention: { rows: lastTokenRows(batch) } }).attention!;
    for (const [l, p] of tape.probs.entries()) {
      expect(p.shape).toEqual([batch.B, m.spec.numHeads, 1, batch.T]);
      expectClose((await e.read(p)) as Float32Array, want[l], { rtol: 1e-4 }, `α of layer ${l}`);
    }
    const probsGrad = up.probs!.map((g) => e.upload(g, [batch.B, m.spec.numHeads, 1, batch.T]));
    backward(e, m.spec, m.weights, tape, { probsGrad }, grads);
    expect(tape.released).toBe(true);
    for (const t of [...tape.probs, ...probsGrad]) t.release();
    await checkAgainstFiniteDifferences(m, grads, () => referenceLoss(m, batch, 'last-attention', vocab, up), 1);
  });

  it('ABFT on a left-padded batch (the last layer rotates its loss-row queries by their own positions): gradients equal finite differences', async () => {
    const left = packBatch(sequences(m.spec, 5), 0, { side: 'left' });
    const grads = gradsFor('qk');
    const up = randomUpstream(m.spec, left, 'last-attention', vocab, 23);
    step(m, left, 'last-attention', vocab, up, grads);
    await checkAgainstFiniteDifferences(m, grads, () => referenceLoss(m, left, 'last-attention', vocab, up), 3);
  });

  it('end to end: dL/dlogits of label words gives q, k, v, o gradients equal to float64 finite differences', async () => {
    const grads = gradsFor('attention');
    const up = randomUpstream(m.spec, batch, 'logits', vocab, 31);
    step(m, batch, 'logits', vocab, up, grads);
    await checkAgainstFiniteDifferences(m, grads, () => referenceLoss(m, batch, 'logits', vocab, up), 2);
  });

  it('end to end on several logit rows per sequence (a label word teacher-forced; a repeated row adds its gradient twice): gradients equal finite differences', async () => {
    const grads = gradsFor('qk');
    // Three rows per sequence, the last ones; the shortest sequence (4 tokens) reads its last row twice.
    const logitsRows = Int32Array.from(batch.lengths.flatMap((n) => (n === 4 ? [n - 2, n - 1, n - 1] : [n - 3, n - 2, n - 1])));
    const P = 3;
    const up = randomArray(batch.B * P * vocab.length, 33);
    const tape = trainingForward(e, m.spec, m.weights, batch, { lossRows: lastTokenRows(batch), upTo: 'logits', logitsVocab: vocab, logitsRows });
    expect(tape.logits!.shape).toEqual([batch.B, P, vocab.length]);
    const want = referenceForward(m.spec, m.tensors, batch, { logits: { rows: logitsRows, vocab } }).logits!;
    expectClose((await e.read(tape.logits!)) as Float32Array, want, { rtol: 1e-4 }, 'logits of the rows');
    const logitsGrad = e.upload(up, [batch.B, P, vocab.length]);
    backward(e, m.spec, m.weights, tape, { logitsGrad }, grads);
    for (const t of [...tape.probs, tape.logits, logitsGrad]) t?.release();
    const loss = () => referenceForward(m.spec, m.tensors, batch, { logits: { rows: logitsRows, vocab } }).logits!.reduce((sum, v, i) => sum + v * up[i], 0);
    await checkAgainstFiniteDifferences(m, grads, loss, 4);
  });

  it.each(['last-attention', 'logits'] as const)('sums the gradients of two micro-batches into those of the whole batch (%s)', async (mode) => {
    const grads = gradsFor('qk');
    const seqs = sequences(m.spec, 5);
    const up = randomUpstream(m.spec, batch, mode, vocab, 41);
    const parts = [[0, 1], [2]];
    for (const keep of parts) {
      const part = packBatch(keep.map((b) => seqs[b]), 0);
      step(m, part, mode, vocab, sliceUpstream(up, m.spec, batch.T, keep, part.T, vocab.length), grads);
    }
    const summed = await readGrads(grads);
    zeroGrads(e, grads);
    expect(Math.max(...(await readGrads(grads)).map((g) => Math.max(...g.map(Math.abs))))).toBe(0);
    step(m, batch, mode, vocab, up, grads);
    const whole = await readGrads(grads);
    // The same f32 sums in another order (other padding, other row blocks): rounding only.
    whole.forEach((w, n) => expectClose(summed[n], w, { rtol: 1e-5 }, `layer ${grads.entries[n].layer} ${grads.entries[n].which}`));
  });

  it('writes no weight of the model, trained or frozen', async () => {
    const grads = gradsFor('qk');
    const before = await Promise.all(weightTensors(m.weights).map((t) => e.read(t)));
    step(m, batch, 'last-attention', vocab, randomUpstream(m.spec, batch, 'last-attention', vocab, 51), grads);
    step(m, batch, 'logits', vocab, randomUpstream(m.spec, batch, 'logits', vocab, 52), grads);
    const after = await Promise.all(weightTensors(m.weights).map((t) => e.read(t)));
    after.forEach((a, n) => expect(a, `weight tensor ${n}`).toEqual(before[n]));
    expect(new Set(grads.entries.map((g) => g.which))).toEqual(new Set<Projection>(['q', 'k']));
  });

  it.each(['last-attention', 'logits'] as const)('allocates no new buffers from the second step on (%s)', async (mode) => {
    const grads = gradsFor('qk');
    const up = randomUpstream(m.spec, batch, mode, vocab, 61);
    const run = async () => {
      zeroGrads(e, grads);
      step(m, batch, mode, vocab, up, grads);
      await e.read(grads.entries[0].weight);
    };
    await expectSteadyState(e, run);
  });
});

describe('backward of a tiny gemma3 model whose last layer is a sliding one', () => {
  it('ABFT stopping in a sliding-window layer (its own RoPE, the window cutting the 7-token rows): W_Q, W_K gradients equal finite differences', async () => {
    const loaded = await loadTinyWeights(e, 'gemma3');
    const g = loaded.spec.gemma3!;
    // The tiny model's layers are sliding then full; reversed, ABFT's loss-row attention is the sliding one.
    const m: TinyWeights = { ...loaded, spec: { ...loaded.spec, gemma3: { ...g, layerTypes: [...g.layerTypes].reverse() } } };
    expect(m.spec.gemma3!.layerTypes).toEqual(['full_attention', 'sliding_attention']);
    expect(g.slidingWindow).toBeLessThan(Math.max(...LENGTHS));
    const left = packBatch(sequences(m.spec, 5), 0, { side: 'left' });
    const grads = createTrainableGrads(e, m.spec, m.weights, 'qk');
    const up = randomUpstream(m.spec, left, 'last-attention', new Int32Array(), 25);
    step(m, left, 'last-attention', new Int32Array(), up, grads);
    await checkAgainstFiniteDifferences(m, grads, () => referenceLoss(m, left, 'last-attention', new Int32Array(), up), 5);
    releaseGrads(grads);
    releaseWeights(m.weights);
  });
});

describe('backward of a tiny gpt2 model with its vocabulary split into chunks', () => {
  it('end to end over the whole vocabulary (tied head in chunks of 7 rows): gradients equal to float64 finite differences', async () => {
    const m = await loadTinyWeights(e, 'gpt2', 'f32', 7);
    expect(m.weights.lmHead.chunks.length).toBeGreaterThan(2);
    const batch = packBatch(sequences(m.spec, 5), 0);
    const V = m.spec.vocabSize;
    const all = Int32Array.from({ length: V }, (_, i) => i);
    const grads = createTrainableGrads(e, m.spec, m.weights, 'qk');
    const up = randomUpstream(m.spec, batch, 'logits', all, 71);
    const tape = trainingForward(e, m.spec, m.weights, batch, { lossRows: lastTokenRows(batch), upTo: 'logits' });
    expect(tape.logits!.shape).toEqual([batch.B, 1, V]);
    const logitsGrad = e.upload(up.logits!, [batch.B, 1, V]);
    backward(e, m.spec, m.weights, tape, { logitsGrad }, grads);
    for (const t of [...tape.probs, tape.logits, logitsGrad]) t?.release();
    await checkAgainstFiniteDifferences(m, grads, () => referenceLoss(m, batch, 'logits', all, up), 3);
    releaseGrads(grads);
    releaseWeights(m.weights);
  });
});

describe('backward of a tiny llama model with f16 frozen weights', () => {
  it('gives the gradients of the reference on the same f16-rounded weights', async (ctx) => {
    if (!e.features.shaderF16) ctx.skip();
    const m = await loadTinyWeights(e, 'llama', 'f16');
    // The frozen matrices as the GPU holds them, so only f32 rounding separates the two.
    for (const [name, t] of m.tensors) {
      if (/(v_proj|o_proj|gate_proj|up_proj|down_proj)\.weight$/.test(name)) t.data.set(t.data.map((v) => fromHalfBits(toHalfBits(v))));
    }
    const batch = packBatch(sequences(m.spec, 5), 0);
    const vocab = new Int32Array();
    const up = randomUpstream(m.spec, batch, 'last-attention', vocab, 71);
    const grads = createTrainableGrads(e, m.spec, m.weights);
    step(m, batch, 'last-attention', vocab, up, grads);
    await checkAgainstFiniteDifferences(m, grads, () => referenceLoss(m, batch, 'last-attention', vocab, up), 3);
    releaseGrads(grads);
    releaseWeights(m.weights);
  });
});

describe('backward rejects what does not fit the tape', () => {
  it('names the problem', async () => {
    const m = await loadTinyWeights(e, 'llama');
    const batch = packBatch([[1, 2, 3]], 0);
    const grads = createTrainableGrads(e, m.spec, m.weights);
    const tape = trainingForward(e, m.spec, m.weights, batch, { lossRows: lastTokenRows(batch), upTo: 'last-attention' });
    expect(() => backward(e, m.spec, m.weights, tape, {}, grads)).toThrow(/needs probsGrad/);
    const wrong = tape.probs.map(() => e.zeros([1, m.spec.numHeads, 1, 4]));
    expect(() => backward(e, m.spec, m.weights, tape, { probsGrad: wrong }, grads)).toThrow(/probsGrad\[0\] is f32 \[1,4,1,4\], expected f32 \[1,4,1,3\]/);
    backward(e, m.spec, m.weights, tape, { probsGrad: tape.probs }, grads);
    expect(() => backward(e, m.spec, m.weights, tape, { probsGrad: tape.probs }, grads)).toThrow(/already used/);
    expect(() => trainingForward(e, m.spec, m.weights, batch, { lossRows: Int32Array.from([3]), upTo: 'last-attention' })).toThrow(/attention.rows\[0\] = 3 is outside/);
    for (const t of [...tape.probs, ...wrong]) t.release();
    releaseGrads(grads);
    releaseWeights(m.weights);
  });
});

/** Per projection, its weight gradient followed by its bias gradient (GPT-2's is ~0 for k: softmax ignores a shift shared by all keys). */
async function readGrads(grads: TrainableGrads): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const g of grads.entries) {
    const weight = (await e.read(g.weight)) as Float32Array;
    const bias = g.bias ? ((await e.read(g.bias)) as Float32Array) : new Float32Array();
    out.push(Float32Array.from([...weight, ...bias]));
  }
  return out;
}

function weightTensors(w: ModelWeights): Tensor[] {
  const all: (Tensor | null)[] = [...w.tokenEmbedding.chunks, w.positionEmbedding, ...w.lmHead.chunks, w.finalNorm.weight, w.finalNorm.bias];
  for (const l of w.layers) {
    all.push(l.attentionNorm.weight, l.attentionNorm.bias, l.mlpNorm.weight, l.mlpNorm.bias);
    for (const norm of [l.qNorm, l.kNorm, l.postAttentionNorm, l.postMlpNorm]) all.push(norm?.weight ?? null);
    for (const lin of [l.q, l.k, l.v, l.o, l.gate, l.up, l.down]) all.push(lin?.weight ?? null, lin?.bias ?? null);
  }
  return [...new Set(all.filter((t): t is Tensor => t !== null))];
}
