import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../model/config';
import { GEMMA3_270M, SMOLLM2_135M } from '../model/known-configs';
import { fitMicroBatch, tapeBytesPerPrompt } from './micro-batch';

const spec = parseModelConfig(SMOLLM2_135M);

describe('micro-batch sizing', () => {
  it('counts the tape of one prompt layer by layer', () => {
    // SmolLM2: 2·576 + 2·576 + 2·192 + 3·1536 = 7296 floats per token and layer.
    expect(tapeBytesPerPrompt(spec, 128)).toBe(30 * 128 * 7296 * 4);
    // gemma-3-270m adds QK-norm's inputs (q and k before the norm) and its two post-norms' inputs:
    // 2·640 + 2·1024 + 2·256 + 3·2048 + (1024 + 256) + 2·640 = 12544.
    expect(tapeBytesPerPrompt(parseModelConfig(GEMMA3_270M), 128)).toBe(18 * 128 * 12544 * 4);
  });

  it('keeps the requested size when it fits and halves it until the tape fits the budget', () => {
    const perPrompt = tapeBytesPerPrompt(spec, 128);
    const big = { tokens: 128, logitsColumns: 2, maxBufferBytes: 2 ** 31 };
    expect(fitMicroBatch(spec, { ...big, requested: 8, budgetBytes: 8 * perPrompt })).toBe(8);
    expect(fitMicroBatch(spec, { ...big, requested: 8, budgetBytes: 5 * perPrompt })).toBe(4);
    expect(fitMicroBatch(spec, { ...big, requested: 8, budgetBytes: perPrompt / 2 })).toBe(1);
  });

  it('keeps every activation within the largest buffer, and says when one prompt cannot fit', () => {
    // Full-vocabulary logits of 8 prompts: 8 · 49152 · 4 bytes = 1.5 MiB; an MLP activation of 8 · 128 · 1536 · 4 = 6 MiB.
    expect(fitMicroBatch(spec, { tokens: 128, requested: 8, logitsColumns: 49152, maxBufferBytes: 2 * 1024 * 1024, budgetBytes: 2 ** 40 })).toBe(2);
    expect(() => fitMicroBatch(spec, { tokens: 128, requested: 8, logitsColumns: 2, maxBufferBytes: 1024, budgetBytes: 2 ** 40 })).toThrow(
      /One prompt of 128 tokens needs an activation buffer larger than this GPU allows \(1024 bytes per buffer\)/,
    );
  });
});
