import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../model/config';
import { GPT2, SMOLLM2_135M } from '../model/known-configs';
import { trainableQkParameters } from '../model/memory';
import { ADAM_FLOPS_PER_PARAMETER, stepFlops } from './flops';

const gpt2 = parseModelConfig(GPT2, 'gpt2');
const smol = parseModelConfig(SMOLLM2_135M, 'SmolLM2-135M');
const shape = { prompts: 1, tokens: 128, labelWords: 2 };

describe('stepFlops', () => {
  it('evaluation of GPT-2 124M: 2 FLOPs per weight of the 12 layers per token, causal attention, two LM-head rows', () => {
    // 12 layers x (c_attn 768x2304 + c_proj 768x768 + c_fc 768x3072 + mlp.c_proj 3072x768) = 84,934,656 weights.
    const weights = 12 * (768 * 2304 + 768 * 768 + 2 * 768 * 3072);
    expect(weights).toBe(84_934_656);
    // QK^T and PV over the 128 * 129 / 2 causal pairs, 12 heads of 64.
    const attention = 12 * 2 * 2 * 64 * 12 * ((128 * 129) / 2);
    expect(stepFlops(gpt2, 'eval', shape)).toEqual({
      forward: 128 * 2 * weights + attention + 2 * 768 * 2,
      backward: 0,
      optimizer: 0,
      total: 128 * 2 * weights + attention + 2 * 768 * 2,
      projections: 128 * 2 * weights + 2 * 768 * 2,
    });
  });

  it('ABFT of a one-layer model: keys, the last query and one row of scores forward; that row back to W_Q, W_K', () => {
    const one = parseModelConfig({ ...GPT2, n_layer: 1 }, 'gpt2-1');
    const [n, C, D, H] = [128, 768, 64, 12];
    const forward = 2 * n * C * C + 2 * C * C + 2 * D * H * n;
    // dq (one row) and dk from one row of dScores; dW_K over n rows, dW_Q over one; no dx in layer 0.
    const backward = 2 * 2 * D * H * n + 2 * n * C * C + 2 * C * C;
    const optimizer = ADAM_FLOPS_PER_PARAMETER * (2 * C * C + 2 * C);
    const projections = 2 * n * C * C + 2 * C * C + 2 * n * C * C + 2 * C * C;
    expect(stepFlops(one, 'abft', shape)).toEqual({ forward, backward, optimizer, total: forward + backward + optimizer, projections });
  });

  it('ABFT does less than evaluation forward and far less than the end-to-end step; both scale with prompts, Adam does not', () => {
    for (const spec of [gpt2, smol]) {
      const abft = stepFlops(spec, 'abft', shape);
      const e2e = stepFlops(spec, 'end-to-end', shape);
      expect(abft.forward).toBeLessThan(stepFlops(spec, 'eval', shape).forward);
      expect(abft.total).toBeLessThan(e2e.total);
      // The backward has no frozen weight gradients: under twice the forward.
      expect(e2e.backward).toBeLessThan(2 * e2e.forward);
      expect(e2e.backward).toBeGreaterThan(e2e.forward);
      const four = stepFlops(spec, 'abft', { ...shape, prompts: 4 });
      expect(four.forward).toBe(4 * abft.forward);
      expect(four.optimizer).toBe(abft.optimizer);
    }
  });

  it('counts the trainable W_Q / W_K parameters with biases where the model has them', () => {
    expect(trainableQkParameters(gpt2)).toBe(12 * (2 * 768 * 768 + 2 * 768));
    // SmolLM2: q 576x576, k 576x192 (3 kv heads of 64), no biases.
    expect(trainableQkParameters(smol)).toBe(30 * (576 * 576 + 576 * 192));
  });
});
