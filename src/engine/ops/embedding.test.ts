import { describe, expect, it } from 'vitest';
import { embedding, embeddingBackward } from './embedding';
import { embeddingBackwardRef, embeddingRef } from '../reference/embedding';
import { expectClose } from '../testing/compare';
import { finiteDifferenceGradient, weightedSum } from '../testing/finite-diff';
import { testEngine } from '../testing/gpu';
import { randomArray, randomInts } from '../random';

// The forward pass copies f32 values: anything but an exact match is a bug.
const EXACT = { rtol: 0 };
// A scaled row is one correctly rounded f32 product per value: half an ulp (<= 6e-8 relative);
// one ulp of margin for GPUs that round less carefully.
const F32_PRODUCT = { rtol: 1.2e-7 };
// Gemma 3 270m's embed_scale: sqrt(hidden_size = 640) in f32, as HF's embed_scale.to(float32).
const GEMMA_SCALE = Math.fround(Math.sqrt(640));
// dTable sums <= ~15 dy rows per id (repeats below) in token order: <= 15 roundings of partial sums
// no larger than 15 max|dy|, ~1e-6 of max|expected| at worst; lavapipe shows ~1e-7.
const F32_REPEATED_SUM = { rtol: 2e-6 };

/** ids over [0, V) including the last row, every 4th a repeat of ids[0], plus out-of-range ids on both sides. */
function testIds(n: number, V: number, seed: number): Int32Array {
  const ids = randomInts(n, V, seed);
  for (let i = 4; i < n; i += 4) ids[i] = ids[0];
  ids[1] = -1;
  ids[2] = V - 1;
  ids[n - 2] = V;
  ids[n - 1] = 2 ** 31 - 1;
  return ids;
}

describe('embedding against the float64 reference', () => {
  // [V, C]: V = 301 with C = 129 splits the vocab into blocks of 4 rows, the last one partial.
  const CASES: [number, number][] = [
    [11, 1],
    [11, 7],
    [5, 33],
    [301, 129],
    [40, 300],
  ];
  for (const [V, C] of CASES) {
    it(`gather and scatter-add, V=${V}, C=${C}, ids [2, 24]`, async () => {
      const e = await testEngine();
      const idShape = [2, 24];
      const N = 48;
      const table = randomArray(V * C, V + C);
      const ids = testIds(N, V, C);
      const dy = randomArray(N * C, V + C + 1);
      const [tt, it_, dyt] = [e.upload(table, [V, C]), e.upload(ids, idShape, 'i32'), e.upload(dy, [N, C])];
      const y = embedding(e, tt, it_);
      expect(y.shape).toEqual([2, 24, C]);
      expectClose(await e.read(y), embeddingRef(table, ids, C), EXACT, `V=${V} C=${C} y`);
      const expected = embeddingBackwardRef(ids, dy, V, C);
      const dTable = embeddingBackward(e, it_, dyt, V);
      expectClose(await e.read(dTable), expected, F32_REPEATED_SUM, `V=${V} C=${C} dTable`);
      // Same gradient again, in place: a stale `out` is overwritten, then accumulate doubles it.
      e.write(dTable, randomArray(V * C, 7, 50));
      embeddingBackward(e, it_, dyt.reshape([2, 24, C]), V, { out: dTable });
      expectClose(await e.read(dTable), expected, F32_REPEATED_SUM, `V=${V} C=${C} dTable into out`);
      embeddingBackward(e, it_, dyt, V, { out: dTable, accumulate: true });
      expectClose(await e.read(dTable), expected.map((v) => 2 * v), F32_REPEATED_SUM, `V=${V} C=${C} dTable accumulated`);
      for (const t of [tt, it_, dyt, y, dTable]) t.release();
    });
  }

  it('a vocabulary split into chunks (firstRow, out) gathers the same rows as the whole table', async () => {
    const e = await testEngine();
    const [V, C, N] = [23, 5, 40];
    const table = randomArray(V * C, 61);
    const ids = testIds(N, V, 62);
    const idt = e.upload(ids, [N], 'i32');
    // Chunks of 10, 10 and 3 rows; the first writes zeros where its rows end, the others keep what is there.
    const y = e.upload(randomArray(N * C, 63), [N, C]);
    for (const first of [0, 10, 20]) {
      const rows = Math.min(10, V - first);
      const chunk = e.upload(table.subarray(first * C, (first + rows) * C), [rows, C]);
      if (first === 0) e.copy(embedding(e, chunk, idt, { firstRow: 0 }), y);
      else embedding(e, chunk, idt, { firstRow: first, out: y });
      chunk.release();
    }
    expectClose(await e.read(y), embeddingRef(table, ids, C), EXACT, 'chunked gather');
    expect(() => embedding(e, e.zeros([4, C]), idt, { out: e.zeros([N, C + 1]) })).toThrow(/opts.out has shape/);
    expect(() => embedding(e, e.zeros([4, C]), idt, { firstRow: -1 })).toThrow(/firstRow = -1/);
  });

  it('the gradient of a vocabulary split into chunks (firstRow) is the whole table\'s, chunk by chunk', async () => {
    const e = await testEngine();
    const [V, C, N] = [23, 5, 40];
    const ids = testIds(N, V, 64);
    const dy = randomArray(N * C, 65);
    const [idt, dyt] = [e.upload(ids, [N], 'i32'), e.upload(dy, [N, C])];
    const expected = embeddingBackwardRef(ids, dy, V, C);
    const got = new Float32Array(V * C);
    for (const first of [0, 10, 20]) {
      const rows = Math.min(10, V - first);
      // Stale values in the chunk's gradient: overwritten without accumulate.
      const dChunk = e.upload(randomArray(rows * C, 66), [rows, C]);
      embeddingBackward(e, idt, dyt, rows, { firstRow: first, out: dChunk });
      got.set(await e.read(dChunk), first * C);
      dChunk.release();
    }
    expectClose(got, expected, F32_REPEATED_SUM, 'chunked dTable');
    expect(() => embeddingBackward(e, idt, dyt, 4, { firstRow: -2 })).toThrow(/firstRow = -2/);
    for (const t of [idt, dyt]) t.release();
  });

  it("scales the rows and their gradients by Gemma's sqrt(hidden_size), into a tied gradient too", async () => {
    const e = await testEngine();
    const [V, C, N] = [301, 129, 48];
    const table = randomArray(V * C, 71);
    const ids = testIds(N, V, 72);
    const dy = randomArray(N * C, 73);
    const [tt, idt, dyt] = [e.upload(table, [V, C]), e.upload(ids, [N], 'i32'), e.upload(dy, [N, C])];
    const opts = { scale: GEMMA_SCALE };
    expectClose(await e.read(embedding(e, tt, idt, opts)), embeddingRef(table, ids, C, GEMMA_SCALE), F32_PRODUCT, 'scaled y');
    const expected = embeddingBackwardRef(ids, dy, V, C, GEMMA_SCALE);
    expectClose(await e.read(embeddingBackward(e, idt, dyt, V, opts)), expected, F32_REPEATED_SUM, 'scaled dTable');
    // Tied embeddings: the LM head's gradient already sits in `out`; the scaled input gradient adds to it.
    const head = randomArray(V * C, 74);
    const out = e.upload(head, [V, C]);
    embeddingBackward(e, idt, dyt, V, { ...opts, out, accumulate: true });
    expectClose(await e.read(out), expected.map((v, i) => v + head[i]), F32_REPEATED_SUM, 'scaled dTable accumulated');
    expect(() => embedding(e, tt, idt, { scale: Infinity })).toThrow(/scale = Infinity/);
  });

  it('is deterministic: repeated runs give identical bits', async () => {
    const e = await testEngine();
    const [V, C, N] = [3, 33, 200];
    const ids = randomInts(N, V, 9);
    const [it_, dyt] = [e.upload(ids, [N], 'i32'), e.upload(randomArray(N * C, 10, 100), [N, C])];
    const first = await e.read(embeddingBackward(e, it_, dyt, V));
    expect(Array.from(await e.read(embeddingBackward(e, it_, dyt, V)))).toEqual(Array.from(first));
  });

  it('rejects bad shapes, naming the argument', async () => {
    const e = await testEngine();
    const ids = e.zeros([2, 3], 'i32');
    expect(() => embedding(e, e.zeros([4, 5]), e.zeros([2, 3]))).toThrow(/ids has dtype f32/);
    expect(() => embedding(e, e.zeros([20]), ids)).toThrow(/table has shape \[20\]/);
    expect(() => embeddingBackward(e, ids, e.zeros([5, 4]), 10)).toThrow(/dy has shape \[5, 4\], expected \[6, C\] for ids of shape \[2, 3\]/);
    expect(() => embeddingBackward(e, ids, e.zeros([6, 4]), 10, { out: e.zeros([10, 5]) })).toThrow(/opts.out has shape \[10, 5\]/);
    expect(() => embeddingBackward(e, ids, e.zeros([6, 4]), 10, { accumulate: true })).toThrow(/accumulate needs opts.out/);
  });
});

describe('embedding backward reference against central finite differences (float64)', () => {
  it('repeated and out-of-range ids', () => {
    const [V, C] = [5, 3];
    const ids = [0, 3, 3, -1, 4, 0, 5, 3];
    const table = randomArray(V * C, 41);
    const w = randomArray(ids.length * C, 42);
    expectClose(embeddingBackwardRef(ids, w, V, C), finiteDifferenceGradient((v) => weightedSum(embeddingRef(v, ids, C), w), table), { rtol: 1e-7 });
  });

  it("scaled by Gemma's sqrt(hidden_size)", () => {
    const [V, C, scale] = [5, 3, Math.sqrt(640)];
    const ids = [0, 3, 3, -1, 4, 0, 5, 3];
    const table = randomArray(V * C, 43);
    const w = randomArray(ids.length * C, 44);
    expectClose(embeddingBackwardRef(ids, w, V, C, scale), finiteDifferenceGradient((v) => weightedSum(embeddingRef(v, ids, C, scale), w), table), { rtol: 1e-7 });
  });
});
