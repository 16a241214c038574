import { describe, expect, it } from 'vitest';
import { testEngine } from '../engine/testing/gpu';
import { memoryFolder } from './files';
import { loadModel, releaseModel } from './load';
import type { FrozenDType } from './memory';
import type { Architecture } from './spec';
import { tinyModelFiles, type TinyModelOptions } from './testing/tiny-models';

const ADVICE = 'the file is damaged or was saved from a diverged run; re-download or re-export it.';

function folder(arch: Architecture, tiny: TinyModelOptions = {}) {
  return memoryFolder(`tiny ${arch}`, tinyModelFiles(arch, tiny));
}

function vocabSize(arch: Architecture): number {
  return (JSON.parse(tinyModelFiles(arch)['config.json'] as string) as { vocab_size: number }).vocab_size;
}

describe('loadModel refuses weights that hold NaN or infinities', () => {
  const cases: { why: string; arch: Architecture; tiny: TinyModelOptions; frozenDType?: FrozenDType; chunkRows?: number; message: string }[] = [
    {
      why: "GPT-2's c_attn, in the columns of W_K (written into the packed W_Q/W_K buffer)",
      arch: 'gpt2',
      // Row 5, column 40 of [32, 96]: the k slice is columns 32 to 63.
      tiny: { planted: [{ tensor: 'transformer.h.1.attn.c_attn.weight', index: 5 * 96 + 40, value: NaN }] },
      message: `model.safetensors: tensor transformer.h.1.attn.c_attn.weight holds NaN at element 520 (of 3072); ${ADVICE}`,
    },
    {
      why: 'a frozen Llama weight stored in f16 on the GPU, at its last element',
      arch: 'llama',
      tiny: { planted: [{ tensor: 'model.layers.1.mlp.down_proj.weight', index: 2047, value: Infinity }] },
      frozenDType: 'f16',
      message: `model.safetensors: tensor model.layers.1.mlp.down_proj.weight holds Infinity at element 2047 (of 2048); ${ADVICE}`,
    },
    {
      why: "a BF16 checkpoint's embedding, in its second vocabulary chunk",
      arch: 'qwen2',
      tiny: { dtype: 'BF16', planted: [{ tensor: 'model.embed_tokens.weight', index: 7 * 32 + 3, value: -Infinity }] },
      chunkRows: 5,
      message: `model.safetensors: tensor model.embed_tokens.weight holds -Infinity at element 227 (of ${vocabSize('qwen2') * 32}); ${ADVICE}`,
    },
  ];
  for (const c of cases) {
    it(`names the file, tensor, element and value: ${c.why}`, async () => {
      const e = await testEngine();
      if (c.frozenDType === 'f16' && !e.features.shaderF16) return;
      const inUse = e.memory().inUseBytes;
      await expect(loadModel(e, folder(c.arch, c.tiny), { frozenDType: c.frozenDType, vocabularyChunkRows: c.chunkRows })).rejects.toThrow(c.message);
      // Nothing of the refused model stays on the GPU.
      expect(e.memory().inUseBytes).toBe(inUse);
    });
  }

  it('names the first such tensor and counts the others', async () => {
    const e = await testEngine();
    const planted = ['model.layers.0.self_attn.q_proj.weight', 'model.layers.1.input_layernorm.weight', 'model.norm.weight'].map((tensor) => ({ tensor, index: 3, value: NaN }));
    await expect(loadModel(e, folder('llama', { planted }))).rejects.toThrow(
      `model.safetensors: tensor model.layers.0.self_attn.q_proj.weight holds NaN at element 3 (of 1024); so do 2 other tensor(s) (model.layers.1.input_layernorm.weight, model.norm.weight); ${ADVICE}`,
    );
  });
});

describe('loadModel: GPU memory of the weights', () => {
  it('counts the same bytes for a model loaded after another, whose freed buffers the pool reuses', async () => {
    const e = await testEngine();
    e.trimMemory();
    const inUse = e.memory().inUseBytes;
    const first = await loadModel(e, folder('gpt2'));
    expect(first.gpuBytes).toBeGreaterThan(0);
    expect(first.gpuBytes).toBe(e.memory().inUseBytes - inUse);
    releaseModel(first);
    const allocated = e.memory().allocatedBytes;
    const second = await loadModel(e, folder('gpt2', { seed: 1 }));
    // Served from the first model's buffers: the pool did not grow.
    expect(e.memory().allocatedBytes).toBe(allocated);
    expect(second.gpuBytes).toBe(first.gpuBytes);
    releaseModel(second);
    const third = await loadModel(e, folder('llama'));
    expect(third.gpuBytes).toBe(e.memory().inUseBytes - inUse);
    releaseModel(third);
  });
});
