import { describe, expect, it } from 'vitest';
import { fromHalfBits, toHalfBits } from '../engine/dtype';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { testEngine } from '../engine/testing/gpu';
import { openCheckpoint, type Checkpoint } from './checkpoint';
import { parseModelConfig } from './config';
import { memoryFolder } from './files';
import { checkFitsAdapter, countParameters, estimateWeightBytes, formatModelSize } from './memory';
import type { Architecture, LinearWeights, ModelSpec, ModelWeights, TensorSource } from './spec';
import { tinyModelFiles, type TinyModelOptions } from './testing/tiny-models';
import { readVocabularyTable, type VocabularyTable } from './vocabulary-table';
import { loadWeights } from './weights';

async function tiny(arch: Architecture, opts: TinyModelOptions = {}, config: Record<string, unknown> = {}) {
  const files = tinyModelFiles(arch, opts);
  const spec = parseModelConfig({ ...JSON.parse(files['config.json'] as string), ...config });
  return { spec, source: await openCheckpoint(memoryFolder('tiny', files)) };
}

/** A checkpoint seen through a renaming: null hides a tensor; `extra` adds names that read as zeros. */
function view(c: Checkpoint, rename: (name: string) => string | null, extra: Record<string, number[]> = {}): TensorSource {
  const back = new Map<string, string>();
  for (const n of c.names()) {
    const to = rename(n);
    if (to !== null) back.set(to, n);
  }
  return {
    label: c.label,
    names: () => [...back.keys(), ...Object.keys(extra)],
    info: (name) => (extra[name] ? { dtype: 'F32', shape: extra[name], file: 'model.safetensors' } : back.has(name) ? c.info(back.get(name)!) : undefined),
    read: async (name) => (extra[name] ? new Float32Array(extra[name].reduce((p, d) => p * d, 1)) : c.read(back.get(name)!)),
  };
}

async function values(e: Engine, t: Tensor | VocabularyTable): Promise<number[]> {
  return Array.from('chunks' in t ? await readVocabularyTable(e, t) : await e.read(t));
}

/** gpu[i, j] (engine layout [in, out]) must be file[j, i] (nn.Linear [out, in]). */
async function expectTransposed(e: Engine, l: LinearWeights, file: Float32Array, outSize: number, inSize: number) {
  expect(l.weight.shape).toEqual([inSize, outSize]);
  const gpu = await e.read(l.weight);
  const expected = Array.from({ length: inSize * outSize }, (_, k) => file[(k % outSize) * inSize + Math.floor(k / outSize)]);
  expect(Array.from(gpu)).toEqual(expected);
}

function allTensors(w: ModelWeights): Tensor[] {
  const linear = (l: LinearWeights | null) => (l ? [l.weight, ...(l.bias ? [l.bias] : [])] : []);
  const list = [...w.tokenEmbedding.chunks, ...(w.positionEmbedding ? [w.positionEmbedding] : []), w.finalNorm.weight, ...(w.finalNorm.bias ? [w.finalNorm.bias] : [])];
  if (w.lmHead !== w.tokenEmbedding) list.push(...w.lmHead.chunks);
  for (const l of w.layers) {
    list.push(l.attentionNorm.weight, l.mlpNorm.weight, ...[l.attentionNorm.bias, l.mlpNorm.bias].filter((b) => b !== null));
    list.push(...[l.q, l.k, l.v, l.o, l.gate, l.up, l.down].flatMap(linear));
    // Qwen3's QK-norm: a weight without a bias, as a projection without one.
    list.push(...[l.qNorm, l.kNorm].flatMap(linear));
  }
  return list;
}

function release(w: ModelWeights): void {
  for (const t of allTensors(w)) t.release();
}

describe('loadWeights', () => {
  it('GPT-2: splits c_attn into q, k, v [in, out], keeps Conv1D layouts, ties the head to wte', async () => {
    const e = await testEngine();
    const { spec, source } = await tiny('gpt2');
    const { weights: w, warnings } = await loadWeights(e, spec, source);
    // The causal-mask buffers (attn.bias) are known to hold no weights.
    expect(warnings).toEqual([]);
    expect(w.lmHead).toBe(w.tokenEmbedding);
    expect(await values(e, w.tokenEmbedding)).toEqual(Array.from(await source.read('transformer.wte.weight')));
    expect(await values(e, w.positionEmbedding!)).toEqual(Array.from(await source.read('transformer.wpe.weight')));
    const cAttn = await source.read('transformer.h.1.attn.c_attn.weight');
    const cAttnBias = await source.read('transformer.h.1.attn.c_attn.bias');
    const layer = w.layers[1];
    for (const [i, l] of [layer.q, layer.k, layer.v].entries()) {
      expect(l.weight.shape).toEqual([32, 32]);
      const expected = Array.from({ length: 32 * 32 }, (_, k) => cAttn[Math.floor(k / 32) * 96 + i * 32 + (k % 32)]);
      expect(await values(e, l.weight)).toEqual(expected);
      expect(await values(e, l.bias!)).toEqual(Array.from(cAttnBias.slice(i * 32, i * 32 + 32)));
    }
    expect(layer.up.weight.shape).toEqual([32, 128]);
    expect(await values(e, layer.down.weight)).toEqual(Array.from(await source.read('transformer.h.1.mlp.c_proj.weight')));
    expect(await values(e, layer.attentionNorm.bias!)).toEqual(Array.from(await source.read('transformer.h.1.ln_1.bias')));
    expect(await values(e, w.finalNorm.weight)).toEqual(Array.from(await source.read('transformer.ln_f.weight')));
    expect(layer.gate).toBeNull();
    release(w);
  });

  it('GPT-2: accepts the unprefixed names of the original gpt2 checkpoints and an untied head', async () => {
    const e = await testEngine();
    const { spec, source } = await tiny('gpt2', { tied: false });
    const { weights: w, warnings } = await loadWeights(e, spec, view(source, (n) => n.replace(/^transformer\./, '')));
    expect(warnings).toEqual([]);
    expect(w.lmHead).not.toBe(w.tokenEmbedding);
    expect(await values(e, w.lmHead)).toEqual(Array.from(await source.read('lm_head.weight')));
    expect(await values(e, w.layers[0].o.weight)).toEqual(Array.from(await source.read('transformer.h.0.attn.c_proj.weight')));
    release(w);
  });

  it('Llama: transposes every Linear to [in, out] with GQA shapes, no biases, tied head', async () => {
    const e = await testEngine();
    const { spec, source } = await tiny('llama');
    const { weights: w, warnings } = await loadWeights(e, spec, source);
    expect(warnings).toEqual([]);
    expect(w.lmHead).toBe(w.tokenEmbedding);
    expect(w.positionEmbedding).toBeNull();
    const l = w.layers[1];
    const p = 'model.layers.1';
    await expectTransposed(e, l.q, await source.read(`${p}.self_attn.q_proj.weight`), 32, 32);
    await expectTransposed(e, l.k, await source.read(`${p}.self_attn.k_proj.weight`), 16, 32);
    await expectTransposed(e, l.v, await source.read(`${p}.self_attn.v_proj.weight`), 16, 32);
    await expectTransposed(e, l.o, await source.read(`${p}.self_attn.o_proj.weight`), 32, 32);
    await expectTransposed(e, l.gate!, await source.read(`${p}.mlp.gate_proj.weight`), 64, 32);
    await expectTransposed(e, l.up, await source.read(`${p}.mlp.up_proj.weight`), 64, 32);
    await expectTransposed(e, l.down, await source.read(`${p}.mlp.down_proj.weight`), 32, 64);
    expect([l.q.bias, l.o.bias, l.up.bias, l.attentionNorm.bias]).toEqual([null, null, null, null]);
    expect(await values(e, l.mlpNorm.weight)).toEqual(Array.from(await source.read(`${p}.post_attention_layernorm.weight`)));
    expect(await values(e, w.finalNorm.weight)).toEqual(Array.from(await source.read('model.norm.weight')));
    release(w);
  });

  it('Qwen2: q/k/v biases, an untied head; BF16 matrices widen exactly; progress counts stored bytes', async () => {
    const e = await testEngine();
    const { spec, source } = await tiny('qwen2', { dtype: 'BF16' });
    const progress: [number, number][] = [];
    const { weights: w } = await loadWeights(e, spec, source, { onProgress: (done, total) => progress.push([done, total]) });
    expect(w.lmHead).not.toBe(w.tokenEmbedding);
    expect(await values(e, w.lmHead)).toEqual(Array.from(await source.read('lm_head.weight')));
    const l = w.layers[0];
    await expectTransposed(e, l.k, await source.read('model.layers.0.self_attn.k_proj.weight'), 16, 32);
    expect(await values(e, l.k.bias!)).toEqual(Array.from(await source.read('model.layers.0.self_attn.k_proj.bias')));
    expect(l.v.bias!.shape).toEqual([16]);
    expect(l.o.bias).toBeNull();
    const total = source.names().reduce((sum, n) => {
      const info = source.info(n)!;
      return sum + info.shape.reduce((p, d) => p * d, 1) * (info.dtype === 'F32' ? 4 : 2);
    }, 0);
    expect(progress[0]).toEqual([0, total]);
    expect(progress.at(-1)).toEqual([total, total]);
    expect(progress.every(([d], i) => i === 0 || d > progress[i - 1][0])).toBe(true);
    release(w);
  });

  it('stores the frozen weights (v, o, MLP) as f16 and keeps q, k, biases, norms and embeddings f32', async () => {
    const e = await testEngine();
    const { spec, source } = await tiny('gpt2');
    const { weights: w, warnings } = await loadWeights(e, spec, source, { frozenDType: 'f16' });
    if (!e.features.shaderF16) {
      expect(warnings.join()).toMatch(/lacks shader-f16, so the frozen weights are kept in f32/);
      expect(w.layers[0].v.weight.dtype).toBe('f32');
      return release(w);
    }
    expect(warnings).toEqual([]);
    const l = w.layers[0];
    expect([l.q, l.k, l.v, l.o, l.up, l.down].map((x) => x.weight.dtype)).toEqual(['f32', 'f32', 'f16', 'f16', 'f16', 'f16']);
    expect([l.v.bias!.dtype, l.attentionNorm.weight.dtype, w.tokenEmbedding.chunks[0].dtype, w.positionEmbedding!.dtype]).toEqual(['f32', 'f32', 'f32', 'f32']);
    const fc = await source.read('transformer.h.0.mlp.c_fc.weight');
    // f16 storage is the file's value rounded once to half precision.
    expect(await values(e, l.up.weight)).toEqual(Array.from(fc, (v) => fromHalfBits(toHalfBits(v))));
    const gpuBytes = allTensors(w).reduce((sum, t) => sum + t.byteLength, 0);
    expect(estimateWeightBytes(spec, 'f16')).toBe(gpuBytes);
    expect(estimateWeightBytes(spec, 'f16')).toBeLessThan(estimateWeightBytes(spec, 'f32'));
    release(w);
  });

  it('keeps a frozen tensor in f32, with a warning, when its values exceed the f16 range', async () => {
    const e = await testEngine();
    if (!e.features.shaderF16) return;
    const { spec, source } = await tiny('llama', { layers: 1 });
    const big: TensorSource = {
      label: source.label,
      names: () => source.names(),
      info: (n) => source.info(n),
      read: async (n) => (n.endsWith('down_proj.weight') ? (await source.read(n)).map((v, i) => (i === 5 ? 1e5 : v)) : source.read(n)),
    };
    const { weights: w, warnings } = await loadWeights(e, spec, big, { frozenDType: 'f16' });
    expect(w.layers[0].down.weight.dtype).toBe('f32');
    expect(w.layers[0].up.weight.dtype).toBe('f16');
    expect(warnings.join()).toMatch(/model\.layers\.0\.mlp\.down_proj\.weight has values up to 1\.00e\+5, beyond f16's range/);
    release(w);
  });

  it('agrees with estimateWeightBytes in f32 for every architecture', async () => {
    const e = await testEngine();
    for (const arch of ['llama', 'qwen2', 'qwen3'] as const) {
      const { spec, source } = await tiny(arch);
      const { weights: w } = await loadWeights(e, spec, source);
      expect(allTensors(w).reduce((sum, t) => sum + t.byteLength, 0)).toBe(estimateWeightBytes(spec, 'f32'));
      release(w);
    }
  });

  it('warns about tensors the model does not use, and about a stored tied head that differs', async () => {
    const e = await testEngine();
    const { spec, source } = await tiny('llama');
    const extra = { 'model.layers.0.self_attn.rotary_emb.inv_freq': [4], 'model.vision_tower.weight': [2, 2], 'lm_head.weight': [spec.vocabSize, 32] };
    const { weights: w, warnings } = await loadWeights(e, spec, view(source, (n) => n, extra));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^tiny\/model\.safetensors: 1 tensor\(s\) that LlamaForCausalLM does not use were ignored: model\.vision_tower\.weight\./);
    expect(warnings[1]).toMatch(/lm_head\.weight differs from the token embedding, but config\.json has tie_word_embeddings true/);
    expect(w.lmHead).toBe(w.tokenEmbedding);
    release(w);
  });

  it('names a missing tensor and which architecture needs it, before reading anything', async () => {
    const e = await testEngine();
    const { spec, source } = await tiny('llama');
    const reads: string[] = [];
    const hidden = view(source, (n) => (n === 'model.norm.weight' ? null : n));
    const counting: TensorSource = { ...hidden, read: (n) => (reads.push(n), hidden.read(n)) };
    await expect(loadWeights(e, spec, counting)).rejects.toThrow(/^tiny\/model\.safetensors has no tensor model\.norm\.weight, which LlamaForCausalLM needs\./);
    expect(reads).toEqual([]);
    const untied = await tiny('qwen2');
    await expect(loadWeights(e, untied.spec, view(untied.source, (n) => (n === 'lm_head.weight' ? null : n)))).rejects.toThrow(
      /has no tensor lm_head\.weight, which Qwen2ForCausalLM needs \(config\.json has tie_word_embeddings false\)/,
    );
  });

  it('refuses a dtype the reader cannot widen, before reading anything', async () => {
    const e = await testEngine();
    const { spec, source } = await tiny('llama');
    const quantized: TensorSource = {
      label: source.label,
      names: () => source.names(),
      info: (n) => (n === 'model.layers.1.mlp.up_proj.weight' ? { ...source.info(n)!, dtype: 'I8' } : source.info(n)),
      read: () => Promise.reject(new Error('read before the dtype check')),
    };
    await expect(loadWeights(e, spec, quantized)).rejects.toThrow(/^model\.safetensors: model\.layers\.1\.mlp\.up_proj\.weight is I8; weights are read as F32, F16, BF16 only/);
  });

  it('names a wrongly shaped tensor, both shapes and the config fields behind the expected one', async () => {
    const e = await testEngine();
    // The file has 2 key/value heads; this config.json claims 4.
    const { spec, source } = await tiny('llama', {}, { num_key_value_heads: 4 });
    await expect(loadWeights(e, spec, source)).rejects.toThrow(
      'model.safetensors: model.layers.0.self_attn.k_proj.weight has shape [16, 32]; config.json implies [32, 32] (num_key_value_heads 4 × head_dim 8). The checkpoint and config.json do not belong together',
    );
    const gpt2 = await tiny('gpt2', {}, { n_inner: 96 });
    await expect(loadWeights(e, gpt2.spec, gpt2.source)).rejects.toThrow('transformer.h.0.mlp.c_fc.weight has shape [32, 128]; config.json implies [32, 96] (n_inner 96)');
  });

  it('refuses a model whose largest tensor exceeds the adapter buffer limit, before touching the GPU', async () => {
    const { spec, source } = await tiny('llama');
    // The embedding is split into chunks, so the limit that matters is the largest whole matrix: the MLP's [32, 64].
    const fake = { features: { shaderF16: false }, adapterName: 'fake', limits: { maxStorageBufferBindingSize: 4096, maxBufferSize: 1 << 30 } } as unknown as Engine;
    await expect(loadWeights(fake, spec, source)).rejects.toThrow(
      "LlamaForCausalLM: each layer's MLP gate projection [32, 64] needs 8.00 KiB in one buffer; this GPU allows at most 4.00 KiB per buffer (maxStorageBufferBindingSize). All the weights need",
    );
  });

  for (const [arch, tied] of [['gpt2', true], ['qwen2', false]] as const) {
    it(`${arch}: splits the ${tied ? 'tied' : 'untied'} embedding and head into vocabulary chunks that read back as the file's matrix`, async () => {
      const e = await testEngine();
      const { spec, source } = await tiny(arch);
      const { weights: w } = await loadWeights(e, spec, source, { vocabularyChunkRows: 7 });
      const chunks = Math.ceil(spec.vocabSize / 7);
      expect(w.tokenEmbedding.chunks.map((c) => c.shape[0])).toEqual([...Array(chunks - 1).fill(7), spec.vocabSize - 7 * (chunks - 1)]);
      const prefix = arch === 'gpt2' ? 'transformer.wte.weight' : 'model.embed_tokens.weight';
      expect(await values(e, w.tokenEmbedding)).toEqual(Array.from(await source.read(prefix)));
      if (tied) expect(w.lmHead).toBe(w.tokenEmbedding);
      else expect(await values(e, w.lmHead)).toEqual(Array.from(await source.read('lm_head.weight')));
      expect(allTensors(w).reduce((sum, t) => sum + t.byteLength, 0)).toBe(estimateWeightBytes(spec, 'f32'));
      release(w);
    });
  }
});

describe('memory estimates', () => {
  const qwen25: ModelSpec = parseModelConfig({
    architectures: ['Qwen2ForCausalLM'],
    hidden_size: 896,
    intermediate_size: 4864,
    max_position_embeddings: 32768,
    num_attention_heads: 14,
    num_hidden_layers: 24,
    num_key_value_heads: 2,
    rope_theta: 1000000.0,
    tie_word_embeddings: true,
    vocab_size: 151936,
  });

  it('counts the published parameters of Qwen2.5-0.5B and SmolLM2-135M', () => {
    expect(countParameters(qwen25)).toBe(494_032_768);
    const smol = parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      hidden_size: 576,
      intermediate_size: 1536,
      max_position_embeddings: 8192,
      num_attention_heads: 9,
      num_hidden_layers: 30,
      num_key_value_heads: 3,
      tie_word_embeddings: true,
      vocab_size: 49152,
    });
    expect(countParameters(smol)).toBe(134_515_008);
    expect(formatModelSize(smol, 'f32')).toBe('134.5M parameters, 513.1 MiB of weights on the GPU');
  });

  it('f16 halves the frozen matrices only', () => {
    const f32 = estimateWeightBytes(qwen25, 'f32');
    const frozen = 24 * (896 * 128 + 896 * 896 + 3 * 896 * 4864) * 4;
    expect(estimateWeightBytes(qwen25, 'f16')).toBe(f32 - frozen / 2);
  });

  it('fits Qwen2.5-0.5B into 128 MiB buffers (its 519 MiB embedding is split); a 16 MiB limit names the MLP matrix, with the total', () => {
    const browser = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 };
    expect(checkFitsAdapter(qwen25, browser, 'f32')).toMatchObject({ totalBytes: 494_032_768 * 4, largest: { what: "each layer's MLP gate projection" } });
    const small = { maxStorageBufferBindingSize: 16 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 };
    expect(() => checkFitsAdapter(qwen25, small, 'f32')).toThrow(
      /^Qwen2ForCausalLM: each layer's MLP gate projection \[896, 4864\] needs 16\.6 MiB in one buffer; this GPU allows at most 16\.0 MiB per buffer \(maxStorageBufferBindingSize\)\. All the weights need 1\.84 GiB\. Pick a smaller model/,
    );
  });
});
