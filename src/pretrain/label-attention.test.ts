import { describe, expect, it } from 'vitest';
import { testEngine } from '../engine/testing/gpu';
import { memoryFolder } from '../model/files';
import { loadModel, releaseModel } from '../model/load';
import { parsePretrainConfig } from './config';
import { initialModelFiles } from './initial-model';
import { addLabelMass, labelAttentionProbe, labelAttentionScores, PROBE_SEQUENCES } from './label-attention';

const CONFIG = parsePretrainConfig({ model: { layers: 2, hidden: 16, heads: 2, intermediate: 32 }, corpus: { seed: 3, length: 32 }, steps: 1 }, 'test');

describe('label-attention sums', () => {
  it('sum each head\'s attention over the keys, skipping the rows that only pad a sequence\'s list', () => {
    const [H, R, T] = [2, 2, 4];
    // [B=2, H, R, T]: sequence 0 has two queries, sequence 1 one (its second row repeats the first).
    const probs = new Float32Array(2 * H * R * T);
    const set = (b: number, h: number, r: number, t: number, v: number) => (probs[((b * H + h) * R + r) * T + t] = v);
    set(0, 0, 0, 1, 0.5);
    set(0, 0, 1, 1, 0.25);
    set(0, 0, 1, 2, 0.25);
    set(0, 1, 0, 0, 1);
    set(1, 0, 0, 2, 0.75);
    set(1, 0, 1, 2, 0.75);
    const sums = new Float64Array(H);
    addLabelMass(sums, probs, [[{ row: 2, keys: [1] }, { row: 3, keys: [1, 2] }], [{ row: 3, keys: [2] }]], H, R, T);
    expect([...sums]).toEqual([0.5 + 0.5 + 0.75, 0]);
  });
});

describe('label-attention scores on the GPU', () => {
  it('are one number in [0, 1] per layer and head, the same whatever the micro-batch', async () => {
    const e = await testEngine();
    const model = await loadModel(e, memoryFolder('random', initialModelFiles(CONFIG)), { frozenDType: 'f32' });
    try {
      const probe = labelAttentionProbe(CONFIG);
      expect(probe.count).toBe(PROBE_SEQUENCES);
      const whole = await labelAttentionScores(e, model.spec, model.weights, probe, PROBE_SEQUENCES);
      expect(whole).toHaveLength(2);
      for (const layer of whole) {
        expect(layer).toHaveLength(2);
        // Random weights spread attention: some of it lands on the matching labels, far from all.
        for (const s of layer) expect(s > 0 && s < 0.5).toBe(true);
      }
      for (const microBatch of [1, 3]) {
        const split = await labelAttentionScores(e, model.spec, model.weights, probe, microBatch);
        split.forEach((layer, l) => layer.forEach((s, h) => expect(s).toBeCloseTo(whole[l][h], 6)));
      }
    } finally {
      releaseModel(model);
    }
  });
});
