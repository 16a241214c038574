import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../model/config';
import { GPT2, GPT2_LARGE, QWEN25_05B } from '../../model/known-configs';
import { estimateWeightBytes } from '../../model/memory';
import { estimateFit, formatParameters } from './fit';
import { SUGGESTED_MODELS } from './suggested-models';

const MiB = 1024 * 1024;
const SWIFTSHADER = { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB };

describe('whether a model fits the GPU, from config.json alone', () => {
  it('counts GPT-2 small: 124M parameters, its weights, and 3 f32 copies of W_Q, W_K and their biases for training', () => {
    const spec = parseModelConfig(GPT2);
    const fit = estimateFit(spec, SWIFTSHADER);
    expect(formatParameters(fit.parameters)).toBe('124M');
    expect(fit.weightBytes).toBe(estimateWeightBytes(spec, 'f32'));
    // 12 layers × (W_Q 768×768 + W_K 768×768 + two biases of 768), gradient + Adam m + Adam v, 4 bytes each.
    expect(fit.trainingStateBytes).toBe(3 * 4 * 12 * (2 * 768 * 768 + 2 * 768));
    expect(fit.adapter?.tooBig).toBeNull();
    expect(fit.adapter?.limitName).toBe('maxStorageBufferBindingSize');
    expect(fit.adapter?.maxBytes).toBe(128 * MiB);
    // Before the GPU is ready: the same sizes, no verdict.
    expect(estimateFit(spec, null)).toEqual({ ...fit, adapter: null });
  });

  it('names the tensor, its size and the limit when one buffer would be too large', () => {
    const fit = estimateFit(parseModelConfig(GPT2_LARGE), { maxStorageBufferBindingSize: 16 * MiB, maxBufferSize: 256 * MiB });
    expect(fit.largest.what).toBe("each layer's MLP up projection");
    expect(fit.adapter?.tooBig).toMatch(/MLP up projection \[1280, 5120\] needs 25\.0 MiB in one buffer; this GPU allows at most 16\.0 MiB per buffer \(maxStorageBufferBindingSize\)/);
  });

  it('leaves the embedding out of the one-buffer check: it is stored in vocabulary chunks', () => {
    // Qwen2.5-0.5B's embedding is 151936 × 896 f32 = 519 MiB, far above the limit; its largest whole tensor is an MLP matrix.
    const fit = estimateFit(parseModelConfig(QWEN25_05B), SWIFTSHADER);
    expect(fit.adapter?.tooBig).toBeNull();
    expect(fit.largest.what).toMatch(/MLP/);
  });

  it('has every suggested model, the paper’s GPT2-L among them, fit a 128 MiB binding limit', () => {
    expect(SUGGESTED_MODELS.map((m) => m.repo)).toContain('openai-community/gpt2-large');
    for (const m of SUGGESTED_MODELS) expect(estimateFit(m.spec, SWIFTSHADER).adapter?.tooBig, m.repo).toBeNull();
    expect(SUGGESTED_MODELS.map((m) => formatParameters(estimateFit(m.spec, SWIFTSHADER).parameters))).toEqual(['135M', '362M', '124M', '355M', '774M', '494M', '596M', '268M']);
  });
});
