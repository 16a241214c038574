import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { expectClose } from '../engine/testing/compare';
import { expectSteadyState, testEngine } from '../engine/testing/gpu';
import { randomInts } from '../engine/random';
import { lastTokenRows, packBatch, type TokenBatch } from './batch';
import { forward, type ForwardOptions } from './forward';
import { referenceForward } from './reference/forward';
import type { Architecture, ModelSpec } from './spec';
import { loadTinyWeights, type TinyWeights } from './testing/tiny-loaded';
import { releaseWeights } from './load';

// Activations are O(1) and every value is an f32 sum of at most ~130 terms per op (C = 32, I <= 128)
// through 2 layers of ~8 ops each, so the relative error stays near (ops x sqrt(K)) x 6e-8 ~ 1e-5;
// softmax and norms keep the magnitudes O(1). 1e-4 of the largest expected magnitude leaves room
// for the worst case without hiding a real mistake, which shows as O(1e-2) or larger.
// Observed on the generated tiny models: up to 3.1e-7 (logits), 2.6e-7 (attention probabilities).
const TOL = { rtol: 1e-4 };

// Frozen weights (v, o, MLP) rounded to f16 carry up to 2^-11 ~ 4.9e-4 relative error each, which
// partly cancels over a dot product; layer 0's probabilities stay exact (q, k are f32).
// Observed: 2.3e-4 (logits), 1.2e-4 (probabilities of layer 1).
const F16_TOL = { rtol: 2e-3 };

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

/** Sequences of 7, 4 and 6 tokens. */
function sequences(spec: ModelSpec, seed: number): number[][] {
  return [7, 4, 6].map((n, i) => [...randomInts(n, spec.vocabSize, seed + i)]);
}

/** Per sequence: its last real token and one real token in the middle. */
function chosenRows(batch: TokenBatch): Int32Array {
  const last = lastTokenRows(batch);
  const rows = new Int32Array(batch.B * 2);
  for (let b = 0; b < batch.B; b++) {
    rows[2 * b] = last[b];
    rows[2 * b + 1] = last[b] - Math.floor(batch.lengths[b] / 2);
  }
  return rows;
}

async function readAndRelease(t: Tensor): Promise<Float32Array> {
  const values = (await e.read(t)) as Float32Array;
  t.release();
  return values;
}

async function compare(m: TinyWeights, batch: TokenBatch, opts: ForwardOptions, what: string, tol = TOL): Promise<void> {
  const got = forward(e, m.spec, m.weights, batch, opts);
  const want = referenceForward(m.spec, m.tensors, batch, opts);
  expect(got.logits === undefined).toBe(want.logits === undefined);
  if (got.logits && want.logits) {
    const P = opts.logits!.rows.length / batch.B;
    expect(got.logits.shape).toEqual([batch.B, P, opts.logits!.vocab?.length ?? m.spec.vocabSize]);
    expectClose(await readAndRelease(got.logits), want.logits, tol, `${what} logits`);
  }
  expect(got.attention?.length).toBe(want.attention?.length);
  for (const [l, probs] of (got.attention ?? []).entries()) {
    expectClose(await readAndRelease(probs), want.attention![l], tol, `${what} attention of layer ${opts.attention?.layers?.[l] ?? l}`);
  }
}

const CASES: { arch: Architecture; side: 'right' | 'left' }[] = [
  { arch: 'gpt2', side: 'right' },
  { arch: 'gpt2', side: 'left' },
  { arch: 'llama', side: 'right' },
  { arch: 'llama', side: 'left' },
  { arch: 'qwen2', side: 'right' },
  { arch: 'qwen3', side: 'right' },
  { arch: 'qwen3', side: 'left' },
];

describe.each(CASES)('forward of a tiny $arch model, $side padding', ({ arch, side }) => {
  let m: TinyWeights;
  let batch: TokenBatch;
  let rows: Int32Array;
  beforeAll(async () => {
    m = await loadTinyWeights(e, arch);
    batch = packBatch(sequences(m.spec, 11), 0, { side });
    rows = chosenRows(batch);
  });
  afterAll(() => releaseWeights(m.weights));

  it('matches the float64 reference: full-vocabulary logits and every head of every layer', async () => {
    await compare(m, batch, { logits: { rows }, attention: { rows } }, arch);
  });

  it('scores a vocabulary subset, and chosen heads of chosen layers', async () => {
    const vocab = Int32Array.from([3, m.spec.vocabSize - 1, 11]);
    await compare(m, batch, { logits: { rows, vocab }, attention: { rows, layers: [1], heads: [2, 0] } }, `${arch} subset`);
  });

  it('stops after the last layer attention with the same probabilities and no logits', async () => {
    const last = m.spec.numLayers - 1;
    const opts: ForwardOptions = { attention: { rows, layers: [last] }, stopAfterAttentionOf: last };
    const got = forward(e, m.spec, m.weights, batch, opts);
    expect(got.logits).toBeUndefined();
    await compare(m, batch, opts, `${arch} stopped`);
    for (const t of got.attention ?? []) t.release();
  });

  it('gives each sequence the logits it gets alone: padding changes nothing', async () => {
    const padded = forward(e, m.spec, m.weights, batch, { logits: { rows: lastTokenRows(batch) } });
    const together = await readAndRelease(padded.logits!);
    const V = m.spec.vocabSize;
    for (const [b, seq] of sequences(m.spec, 11).entries()) {
      const alone = forward(e, m.spec, m.weights, packBatch([seq], 0), { logits: { rows: Int32Array.from([seq.length - 1]) } });
      expectClose(together.subarray(b * V, (b + 1) * V), await readAndRelease(alone.logits!), TOL, `sequence ${b}`);
    }
  });

  it('allocates no new buffers on a second call', async () => {
    const run = async () => {
      const out = forward(e, m.spec, m.weights, batch, { logits: { rows }, attention: { rows } });
      await readAndRelease(out.logits!);
      for (const t of out.attention!) await readAndRelease(t);
    };
    await expectSteadyState(e, run);
  });
});

// A vocabulary split into chunks of 7 rows (the tiny models have ~100 words, so 15 chunks, the last
// one partial): the gather of the embedding, the label-word rows and the full-vocabulary logits
// must be exactly what the one-buffer path gives, so the same tolerance holds.
describe.each(['gpt2', 'qwen2'] as const)('forward of a tiny %s model with its vocabulary split into chunks', (arch) => {
  it('matches the float64 reference: full-vocabulary logits, a vocabulary subset, attention', async () => {
    const m = await loadTinyWeights(e, arch, 'f32', 7);
    expect(m.weights.lmHead.chunks.length).toBeGreaterThan(2);
    const batch = packBatch(sequences(m.spec, 11), 0);
    const rows = chosenRows(batch);
    await compare(m, batch, { logits: { rows }, attention: { rows } }, `${arch} chunked`);
    const vocab = Int32Array.from([3, m.spec.vocabSize - 1, 11, 7]);
    await compare(m, batch, { logits: { rows, vocab } }, `${arch} chunked subset`);
    releaseWeights(m.weights);
  });
});

describe.each(['gpt2', 'llama'] as const)('forward of a tiny %s model with f16 frozen weights', (arch) => {
  it('stays within f16 rounding of the float64 reference', async (ctx) => {
    if (!e.features.shaderF16) ctx.skip();
    const m = await loadTinyWeights(e, arch, 'f16');
    const batch = packBatch(sequences(m.spec, 11), 0);
    const rows = chosenRows(batch);
    await compare(m, batch, { logits: { rows }, attention: { rows } }, `${arch} f16`, F16_TOL);
    releaseWeights(m.weights);
  });
});

describe('forward rejects requests that do not fit the model or batch', () => {
  it('names the bad value', async () => {
    const m = await loadTinyWeights(e, 'llama');
    const batch = packBatch([[1, 2, 3]], 0);
    expect(() => forward(e, m.spec, m.weights, batch, { logits: { rows: Int32Array.from([3]) } })).toThrow(/logits.rows\[0\] = 3 is outside the 3 positions/);
    expect(() => forward(e, m.spec, m.weights, batch, { logits: { rows: Int32Array.from([2]) }, stopAfterAttentionOf: 1 })).toThrow(/logits need the whole model/);
    expect(() => forward(e, m.spec, m.weights, batch, { attention: { rows: Int32Array.from([2]), layers: [1] }, stopAfterAttentionOf: 0 })).toThrow(
      /attention.layers\[0\] = 1 is outside/,
    );
    expect(() => forward(e, m.spec, m.weights, packBatch([[m.spec.vocabSize]], 0))).toThrow(/token id \d+ \(sequence 0\) is outside the vocabulary/);
    expect(() => forward(e, m.spec, m.weights, batch, { tape: true, nextTokenTargets: Int32Array.from([1, -1, m.spec.vocabSize]) })).toThrow(
      `forward: nextTokenTargets[2] = ${m.spec.vocabSize} is outside the ${m.spec.vocabSize} vocabulary ids (or -1, no target)`,
    );
    releaseWeights(m.weights);
  });
});

describe('forward of a tiny gemma3 model (layer 0 sliding with window 3, layer 1 full), right and left padding', () => {
  for (const side of ['right', 'left'] as const) {
    it(`matches the float64 reference: logits and every head of every layer (${side})`, async () => {
      const m = await loadTinyWeights(e, 'gemma3');
      const batch = packBatch(sequences(m.spec, 11), 0, { side });
      const rows = chosenRows(batch);
      await compare(m, batch, { logits: { rows }, attention: { rows } }, `gemma3 ${side}`);
      releaseWeights(m.weights);
    });
  }
});
