import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARCHITECTURE_IDS, architectureModule } from '../arch';
import { openCheckpoint } from '../checkpoint';
import { parseModelConfig } from '../config';
import { memoryFolder } from '../files';
import { tinyModelFiles, writeTinyModel } from './tiny-models';
import { tinyTokenizerFiles } from './tiny-tokenizer';

const ARCHS = ARCHITECTURE_IDS;

async function open(files: Record<string, Uint8Array | string>) {
  return openCheckpoint(memoryFolder('tiny', files));
}

describe('tinyModelFiles', () => {
  it.each(ARCHS)('%s: a config.json that parses to the tiny sizes, with the tokenizer files beside it', (arch) => {
    const files = tinyModelFiles(arch);
    expect(Object.keys(files).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const spec = parseModelConfig(JSON.parse(files['config.json'] as string));
    expect(spec).toMatchObject({
      architecture: arch,
      vocabSize: tinyTokenizerFiles(architectureModule(arch).tiny.tokenizer).vocabSize,
      hiddenSize: 32,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: arch === 'gpt2' ? 4 : 2,
      headDim: 8,
      intermediateSize: arch === 'gpt2' ? 128 : 64,
      maxPositions: 512,
      tieWordEmbeddings: architectureModule(arch).tiny.tiedByDefault,
    });
    expect(files['tokenizer.json']).toBe(tinyTokenizerFiles(architectureModule(arch).tiny.tokenizer).files['tokenizer.json']);
  });

  it('uses the HF names and layouts: GPT-2 Conv1D [in, out] with causal-mask buffers, Llama/Qwen2/Qwen3 Linear [out, in]', async () => {
    const gpt2 = await open(tinyModelFiles('gpt2'));
    expect(gpt2.info('transformer.h.1.attn.c_attn.weight')?.shape).toEqual([32, 96]);
    expect(gpt2.info('transformer.h.1.mlp.c_proj.weight')?.shape).toEqual([128, 32]);
    expect(gpt2.info('transformer.h.0.attn.bias')?.shape).toEqual([1, 1, 512, 512]);
    expect(gpt2.info('transformer.wpe.weight')?.shape).toEqual([512, 32]);
    expect(gpt2.info('lm_head.weight')).toBeUndefined();

    const llama = await open(tinyModelFiles('llama'));
    expect(llama.info('model.layers.1.self_attn.k_proj.weight')?.shape).toEqual([16, 32]);
    expect(llama.info('model.layers.1.self_attn.o_proj.weight')?.shape).toEqual([32, 32]);
    expect(llama.info('model.layers.0.mlp.down_proj.weight')?.shape).toEqual([32, 64]);
    expect(llama.info('model.layers.0.self_attn.q_proj.bias')).toBeUndefined();
    expect(llama.info('lm_head.weight')).toBeUndefined();

    const qwen2 = await open(tinyModelFiles('qwen2'));
    expect(qwen2.info('model.layers.0.self_attn.v_proj.bias')?.shape).toEqual([16]);
    expect(qwen2.info('model.layers.0.self_attn.o_proj.bias')).toBeUndefined();
    expect(qwen2.info('lm_head.weight')?.shape).toEqual([qwen2.info('model.embed_tokens.weight')!.shape[0], 32]);
    expect(qwen2.names().filter((n) => n.startsWith('model.layers.0.')).length).toBe(12);

    // Qwen3: QK-norm weights of [head_dim], no attention biases, tied.
    const qwen3 = await open(tinyModelFiles('qwen3'));
    expect(qwen3.info('model.layers.1.self_attn.q_norm.weight')?.shape).toEqual([8]);
    expect(qwen3.info('model.layers.1.self_attn.k_norm.weight')?.shape).toEqual([8]);
    expect(qwen3.info('model.layers.0.self_attn.q_proj.weight')?.shape).toEqual([32, 32]);
    expect(qwen3.info('model.layers.0.self_attn.q_proj.bias')).toBeUndefined();
    expect(qwen3.info('lm_head.weight')).toBeUndefined();
    expect(qwen3.names().filter((n) => n.startsWith('model.layers.0.')).length).toBe(11);
  });

  it('is reproducible from the seed, differs between seeds, and honours layers and tied', async () => {
    expect(tinyModelFiles('llama', { seed: 3 })['model.safetensors']).toEqual(tinyModelFiles('llama', { seed: 3 })['model.safetensors']);
    const a = await open(tinyModelFiles('llama', { seed: 3 }));
    const b = await open(tinyModelFiles('llama', { seed: 4 }));
    expect(await a.read('model.layers.0.self_attn.q_proj.weight')).not.toEqual(await b.read('model.layers.0.self_attn.q_proj.weight'));
    const deep = tinyModelFiles('gpt2', { layers: 3, tied: false });
    expect(JSON.parse(deep['config.json'] as string)).toMatchObject({ n_layer: 3, tie_word_embeddings: false });
    const c = await open(deep);
    expect(c.info('transformer.h.2.ln_2.weight')).toBeDefined();
    expect(c.info('lm_head.weight')?.shape[1]).toBe(32);
  });

  it('keeps weights O(0.2) and norms near 1', async () => {
    const c = await open(tinyModelFiles('qwen2'));
    const q = await c.read('model.layers.0.self_attn.q_proj.weight');
    const norm = await c.read('model.layers.1.post_attention_layernorm.weight');
    expect(Math.max(...q.map(Math.abs))).toBeLessThanOrEqual(0.2);
    expect(Math.max(...q.map(Math.abs))).toBeGreaterThan(0.15);
    expect(norm.every((v) => v > 0.9 && v < 1.1)).toBe(true);
  });

  it.each(['F16', 'BF16'] as const)('stores weight matrices as %s, norms and biases as F32, with the same values up to rounding', async (dtype) => {
    const narrow = await open(tinyModelFiles('qwen2', { dtype }));
    const wide = await open(tinyModelFiles('qwen2'));
    const name = 'model.layers.0.mlp.up_proj.weight';
    expect(narrow.info(name)?.dtype).toBe(dtype);
    expect(narrow.info('model.layers.0.self_attn.q_proj.bias')?.dtype).toBe('F32');
    expect(narrow.info('model.norm.weight')?.dtype).toBe('F32');
    expect(JSON.parse(tinyModelFiles('qwen2', { dtype })['config.json'] as string).torch_dtype).toBe(dtype === 'F16' ? 'float16' : 'bfloat16');
    const [n, w] = [await narrow.read(name), await wide.read(name)];
    // Half an ulp of the format at 0.2: 2^-11 relative for f16, 2^-8 for bf16.
    const tol = (dtype === 'F16' ? 2 ** -11 : 2 ** -8) * 0.2;
    expect(Math.max(...n.map((v, i) => Math.abs(v - w[i])))).toBeLessThanOrEqual(tol);
  });

  it('writeTinyModel writes the same files to a folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tiny-model-'));
    try {
      await writeTinyModel(dir, 'gpt2', { seed: 9 });
      const expected = tinyModelFiles('gpt2', { seed: 9 });
      expect(new Uint8Array(await readFile(join(dir, 'model.safetensors')))).toEqual(expected['model.safetensors']);
      expect(await readFile(join(dir, 'config.json'), 'utf8')).toBe(expected['config.json']);
      expect(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')).toBe(expected['tokenizer_config.json']);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
