import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, pipeline, Tensor as HfTensor, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../engine/engine';
import { randomInts } from '../engine/random';
import { expectClose } from '../engine/testing/compare';
import { testEngine } from '../engine/testing/gpu';
import { packBatch, type TokenBatch } from '../model/batch';
import { forward } from '../model/forward';
import { releaseModel } from '../model/load';
import { referenceForward } from '../model/reference/forward';
import type { Architecture, ModelSpec } from '../model/spec';
import { INPUT_NAMES, pastName, presentName } from './causal-lm';
import { fileBytes } from './export';
import { ONNX_MODEL_PATH } from './folder';
import { onnxLogits, openOnnxSession, type OpenSession } from './session';
import { engineGreedy, exportTiny, type ExportedTiny } from './testing/exported';
import { DataLocation, onnx } from './schema';
import { LOGIT_TOLERANCE, verifyAgainstEngine } from './verify';

// Both sides are f32 with different summation orders; see LOGIT_TOLERANCE (1e-4 of the largest
// |logit|). Observed on the tiny models (printed below): 1.7e-7 to 3.9e-7 against the float64 reference and
// against the engine.
const TOL = { rtol: LOGIT_TOLERANCE };

const ARCHS: Architecture[] = ['gpt2', 'llama', 'qwen2', 'qwen3', 'gemma3'];

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
  ort.env.wasm.numThreads = 1;
  // transformers.js reads only the exported folders; nothing may come from the network.
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
});

/** max |a - b| / max |b|, for the report. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

function int64(values: ArrayLike<number>, dims: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(Array.from(values, (v) => BigInt(v))), dims);
}

function emptyCache(spec: ModelSpec, B: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (let l = 0; l < spec.numLayers; l++) {
    for (const which of ['key', 'value'] as const) feeds[pastName(l, which)] = new ort.Tensor('float32', new Float32Array(0), [B, spec.numKvHeads, 0, spec.headDim]);
  }
  return feeds;
}

/** Full-vocabulary float64 reference logits at every position of one unpadded sequence, [S, V]; `spec` replaces the model's. */
function referenceLogits(x: ExportedTiny, ids: readonly number[], spec: ModelSpec = x.model.spec): Float64Array {
  const batch = packBatch([ids], 0);
  return referenceForward(spec, x.tensors, batch, { logits: { rows: Int32Array.from(ids, (_, i) => i) } }).logits!;
}

async function engineLogits(x: ExportedTiny, batch: TokenBatch, rows: Int32Array): Promise<Float32Array> {
  const { logits } = forward(e, x.model.spec, x.model.weights, batch, { logits: { rows } });
  const values = (await e.read(logits!)) as Float32Array;
  logits!.release();
  return values;
}

describe.each(ARCHS)('ONNX export of a fine-tuned tiny %s model', (arch) => {
  let x: ExportedTiny;
  let open: OpenSession;
  let prompt: number[];

  beforeAll(async () => {
    x = await exportTiny(e, arch);
    open = await openOnnxSession(ort, { model: await fileBytes(x.exported.files[0]) }, ['wasm']);
    prompt = [...randomInts(9, x.model.spec.vocabSize, 31)];
  });
  afterAll(async () => {
    await open.session.release();
    releaseModel(x.model);
    await rm(x.dir, { recursive: true });
  });

  it('is a Hub-style folder with the graph inside model.onnx and the inputs and outputs transformers.js feeds', async () => {
    expect(x.exported.files.map((f) => f.path)).toEqual([ONNX_MODEL_PATH, 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect(x.exported.external).toBe(false);
    const config = JSON.parse(await readFile(join(x.dir, 'config.json'), 'utf8'));
    expect(config['transformers.js_config']).toEqual({ dtype: 'fp32' });
    expect(config.architectures).toEqual([x.model.spec.hfArchitecture]);
    const { spec } = x.model;
    const cache = Array.from({ length: spec.numLayers }, (_, l) => [pastName(l, 'key'), pastName(l, 'value')]).flat();
    expect(open.session.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep', ...cache]);
    expect([...open.session.outputNames].sort()).toEqual(['logits', ...cache.map((n) => n.replace('past_key_values', 'present'))].sort());
    expect(open.provider).toBe('wasm');
  });

  it('onnxruntime-web (wasm): logits at every position match the float64 reference and the engine', async () => {
    const { spec } = x.model;
    const got = await onnxLogits(ort, open.session, spec, prompt, 0);
    const want = referenceLogits(x, prompt);
    expectClose(got, want, TOL, `${arch} ONNX vs reference`);
    const ours = await engineLogits(x, packBatch([prompt], 0), Int32Array.from(prompt, (_, i) => i));
    expectClose(got, ours, TOL, `${arch} ONNX vs engine`);
    console.log(`${arch}: max relative logit difference, ONNX (wasm) vs float64 reference ${relativeError(got, want).toExponential(2)}, vs engine ${relativeError(got, ours).toExponential(2)}`);
    // num_logits_to_keep = 1: the last row only, as transformers.js asks while generating.
    expect(Array.from(await onnxLogits(ort, open.session, spec, prompt, 1))).toEqual(Array.from(got.subarray((prompt.length - 1) * spec.vocabSize)));
  });

  if (arch === 'gemma3') {
    it('the sliding window is in the graph: the reference without it is far from the ONNX logits once the window slides', async () => {
      const { spec } = x.model;
      const window = spec.gemma3!.slidingWindow;
      // The tiny Gemma 3 slides over 3 keys; the 9-token prompt (and the cache test's) reach past them.
      expect(window).toBeLessThan(prompt.length);
      expect(spec.gemma3!.layerTypes).toContain('sliding_attention');
      const got = await onnxLogits(ort, open.session, spec, prompt, 0);
      const want = referenceLogits(x, prompt);
      const unwindowed = referenceLogits(x, prompt, { ...spec, gemma3: { ...spec.gemma3!, slidingWindow: 0 } });
      // The first `window` positions see every earlier key either way: there the two references agree.
      const early = window * spec.vocabSize;
      expectClose(unwindowed.subarray(0, early), want.subarray(0, early), TOL, 'gemma3 references before the window slides');
      const dropped = relativeError(got.subarray(early), unwindowed.subarray(early));
      const kept = relativeError(got.subarray(early), want.subarray(early));
      console.log(`gemma3: ONNX vs the reference with the window ${kept.toExponential(2)}, vs the reference without it ${dropped.toExponential(2)}`);
      expect(dropped).toBeGreaterThan(100 * LOGIT_TOLERANCE);
    });
  }

  it('a left-padded batch continued from its KV cache gives each sequence the logits it gets alone', async () => {
    const { spec } = x.model;
    const V = spec.vocabSize;
    const sequences = [prompt, prompt.slice(0, 5).map((id) => (id + 7) % V)];
    const batch = packBatch(sequences, 0, { side: 'left' });
    const T = batch.T;
    const split = T - 2;
    const columns = (values: ArrayLike<number>, from: number, to: number) => sequences.flatMap((_, b) => Array.from(values).slice(b * T + from, b * T + to));
    const first = await open.session.run({
      [INPUT_NAMES.ids]: int64(columns(batch.ids, 0, split), [2, split]),
      [INPUT_NAMES.mask]: int64(columns(batch.keyMask, 0, split), [2, split]),
      [INPUT_NAMES.positions]: int64(columns(batch.positions, 0, split), [2, split]),
      [INPUT_NAMES.logitsToKeep]: int64([1], []),
      ...emptyCache(spec, 2),
    });
    const past: Record<string, ort.Tensor> = {};
    for (let l = 0; l < spec.numLayers; l++) for (const which of ['key', 'value'] as const) past[pastName(l, which)] = first[presentName(l, which)];
    expect(first[presentName(0, 'key')].dims).toEqual([2, spec.numKvHeads, split, spec.headDim]);
    const second = await open.session.run({
      [INPUT_NAMES.ids]: int64(columns(batch.ids, split, T), [2, 2]),
      [INPUT_NAMES.mask]: int64(batch.keyMask, [2, T]),
      [INPUT_NAMES.positions]: int64(columns(batch.positions, split, T), [2, 2]),
      [INPUT_NAMES.logitsToKeep]: int64([1], []),
      ...past,
    });
    expect(second.logits.dims).toEqual([2, 1, V]);
    const logits = second.logits.data as Float32Array;
    for (const [b, seq] of sequences.entries()) {
      const want = referenceLogits(x, seq).subarray((seq.length - 1) * V);
      expectClose(logits.subarray(b * V, (b + 1) * V), want, TOL, `${arch} sequence ${b} after the cache`);
    }
  });

  it('verifyAgainstEngine passes on prompts, with every label-word prediction agreeing, by logits and by whole label sequences', async () => {
    const prompts = [prompt, prompt.slice(2), [...randomInts(20, x.model.spec.vocabSize, 5)]].map((ids) => ({ ids }));
    const words = ['a', 'b', 'c'];
    const byLogit = await verifyAgainstEngine(e, x.model.spec, x.model.weights, ort, open.session, prompts, { scoring: 'first', words, tokens: [[3], [10], [20]] });
    // Words of 2 and 3 tokens: each prompt also runs extended by them, and those rows are compared too.
    const bySequence = await verifyAgainstEngine(e, x.model.spec, x.model.weights, ort, open.session, prompts, { scoring: 'sequence', words, tokens: [[3, 7], [10], [20, 5, 9]] });
    for (const report of [byLogit, bySequence]) {
      expect(report).toMatchObject({ prompts: 3, agreements: 3, realDisagreements: 0, passed: true });
      expect(report.maxRelDiff).toBeLessThanOrEqual(LOGIT_TOLERANCE);
    }
  });

  describe('through transformers.js from the exported folder, with remote models disabled', () => {
    let model: PreTrainedModel;
    let tokenizer: PreTrainedTokenizer;
    beforeAll(async () => {
      env.localModelPath = dirname(x.dir);
      model = await AutoModelForCausalLM.from_pretrained(basename(x.dir), { local_files_only: true });
      tokenizer = await AutoTokenizer.from_pretrained(basename(x.dir), { local_files_only: true });
    });
    afterAll(async () => {
      await model.dispose();
    });

    it('AutoModelForCausalLM gives the reference logits', async () => {
      const ids = new HfTensor('int64', BigInt64Array.from(prompt, (v) => BigInt(v)), [1, prompt.length]);
      const mask = new HfTensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
      const { logits } = (await model({ input_ids: ids, attention_mask: mask })) as { logits: HfTensor };
      expect(logits.dims).toEqual([1, prompt.length, x.model.spec.vocabSize]);
      expectClose(logits.data as Float32Array, referenceLogits(x, prompt), TOL, `${arch} transformers.js vs reference`);
    });

    it('greedy generation of 5 tokens (KV cache) agrees token for token with greedy decoding by the engine', async () => {
      const text = 'review: a gorgeous film . sentiment: positive\nreview: dull sentiment:';
      const ids = tokenizer.encode(text);
      const ours = await engineGreedy(e, x.model, ids, 5);
      // Seeded: none of the tiny models produces its end-of-text token within 5 steps, so all 5 are compared.
      expect(ours).toHaveLength(5);
      const input = new HfTensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [1, ids.length]);
      const generated = (await model.generate({ inputs: input, max_new_tokens: 5, do_sample: false })) as HfTensor;
      const theirs = Array.from(generated.data as BigInt64Array, Number).slice(ids.length);
      expect(theirs).toEqual(ours);

      const generator = await pipeline('text-generation', basename(x.dir), { local_files_only: true });
      const [result] = (await generator(text, { max_new_tokens: 5, do_sample: false })) as { generated_text: string }[];
      expect(result.generated_text).toBe(tokenizer.decode([...ids, ...ours]));
      await generator.dispose();
    });
  });
});

describe('ONNX export with the weights in external data (forced on a tiny llama)', () => {
  let x: ExportedTiny;
  beforeAll(async () => {
    x = await exportTiny(e, 'llama', { externalDataThreshold: 0 });
  });
  afterAll(async () => {
    releaseModel(x.model);
    await rm(x.dir, { recursive: true });
  });

  it('writes onnx/model.onnx_data, tells transformers.js in config.json, and loads in onnxruntime-web and transformers.js', async () => {
    expect(x.exported.external).toBe(true);
    expect(x.exported.files.map((f) => f.path).slice(0, 2)).toEqual([ONNX_MODEL_PATH, 'onnx/model.onnx_data']);
    const [model, data] = [await readFile(join(x.dir, ONNX_MODEL_PATH)), await readFile(join(x.dir, 'onnx/model.onnx_data'))];
    // Every weight is in the data file, at an offset and length of its own; the graph's small constants stay inside.
    expect(data.byteLength).toBeGreaterThanOrEqual(x.exported.weightBytes);
    const decoded = onnx.ModelProto.toObject(onnx.ModelProto.decode(model), { longs: Number }) as {
      graph: { initializer: { name: string; rawData?: Uint8Array; dataLocation?: number; externalData?: { key: string; value: string }[] }[] };
    };
    const weights = decoded.graph.initializer.filter((t) => t.dataLocation === DataLocation.EXTERNAL);
    expect(weights.map((t) => t.name)).toContain('model.layers.1.self_attn.k_proj.weight');
    expect(weights.every((t) => t.rawData === undefined && t.externalData?.[0].value === 'model.onnx_data')).toBe(true);
    expect(weights.reduce((n, t) => n + Number(t.externalData![2].value), 0)).toBe(x.exported.weightBytes);
    const config = JSON.parse(await readFile(join(x.dir, 'config.json'), 'utf8'));
    expect(config['transformers.js_config']).toEqual({ dtype: 'fp32', use_external_data_format: { 'model.onnx': 1 } });

    const prompt = [...randomInts(8, x.model.spec.vocabSize, 77)];
    const want = referenceLogits(x, prompt);
    const open = await openOnnxSession(ort, { model, externalData: { path: 'model.onnx_data', data } }, ['wasm']);
    expectClose(await onnxLogits(ort, open.session, x.model.spec, prompt, 0), want, TOL, 'external data, onnxruntime-web');
    await open.session.release();

    env.localModelPath = dirname(x.dir);
    const hf = await AutoModelForCausalLM.from_pretrained(basename(x.dir), { local_files_only: true });
    const ids = new HfTensor('int64', BigInt64Array.from(prompt, (v) => BigInt(v)), [1, prompt.length]);
    const mask = new HfTensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
    const { logits } = (await hf({ input_ids: ids, attention_mask: mask })) as { logits: HfTensor };
    expectClose(logits.data as Float32Array, want, TOL, 'external data, transformers.js');
    await hf.dispose();
  });
});
