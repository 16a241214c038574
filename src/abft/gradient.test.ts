import { describe, expect, it } from 'vitest';
import { testEngine } from '../engine/testing/gpu';
import { syntheticPrompt, syntheticSentiment } from '../data/synthetic';
import { backward } from '../model/backward';
import { lastTokenRows, packBatch, type TokenBatch } from '../model/batch';
import { createTrainableGrads } from '../model/grads';
import { referenceForward, type HfTensors } from '../model/reference/forward';
import type { Architecture, ModelSpec } from '../model/spec';
import { loadTinyModel } from '../model/testing/tiny-loaded';
import { trainingForward } from '../model/training-forward';
import { abftLoss } from './loss';
import { defaultAbftObjective } from './objective';
import { labelMap, preparePrompts } from './prepared';
import { templateOf } from './prompts';
import { abftLossRef } from './reference/loss';
import { sampleTrainingPrompts } from './sampling';

const K = 4;
// A tiny random model passes no head under the paper's filter (see src/train/trainer.test.ts), so
// the gradient is checked with every head taking part; the filter itself is a hard mask.
const OBJECTIVE = { ...defaultAbftObjective, headFilter: 'none' as const };
// f32 forward and backward through 2 layers: the GPU gradient agrees with float64 finite
// differences to ~1e-6 of the largest gradient (backward.test.ts); 1e-4 leaves room for the loss's
// extra reductions and still catches any wrong term (those show at 1e-2 and above).
const TOL = 1e-4;

function referenceLoss(spec: ModelSpec, tensors: HfTensors, batch: TokenBatch, labels: Int32Array): number {
  const { attention } = referenceForward(spec, tensors, batch, { attention: { rows: lastTokenRows(batch) } });
  return abftLossRef(attention!, labels, Int32Array.from(batch.lengths), { batch: batch.B, heads: spec.numHeads, cols: batch.T }, {
    ...OBJECTIVE,
    k: K,
    batchSize: batch.B,
  }).loss;
}

/** Where W_Q[in, out] / W_K[in, out] of the GPU sits in the HF tensors: Linear [out, in], or GPT-2's fused Conv1D [in, 3·hidden]. */
function hfEntry(spec: ModelSpec, layer: number, which: 'q' | 'k', i: number, o: number): { name: string; index: number } {
  if (spec.architecture === 'gpt2') {
    const cols = 3 * spec.hiddenSize;
    return { name: `transformer.h.${layer}.attn.c_attn.weight`, index: i * cols + (which === 'k' ? spec.hiddenSize : 0) + o };
  }
  return { name: `model.layers.${layer}.self_attn.${which}_proj.weight`, index: o * spec.hiddenSize + i };
}

describe('ABFT loss gradient with respect to W_Q and W_K against central finite differences of the float64 reference', () => {
  for (const arch of ['gpt2', 'llama'] as Architecture[]) {
    it(arch, async () => {
      const e = await testEngine();
      const { model, tensors } = await loadTinyModel(e, arch);
      const { spec, weights } = model;
      const data = syntheticSentiment({ size: 32, seed: 2 });
      const draws = sampleTrainingPrompts(data.rows, 3, K, 5);
      const prompts = preparePrompts(model.tokenizer!, templateOf(syntheticPrompt(2)), draws, { maxPositions: spec.maxPositions, what: 'prompt' });
      const batch = packBatch(prompts.map((p) => p.ids), 0);
      const labels = labelMap(prompts, batch);

      const grads = createTrainableGrads(e, spec, weights, 'qk');
      const tape = trainingForward(e, spec, weights, batch, { lossRows: lastTokenRows(batch), upTo: 'last-attention' });
      const { probsGrad } = abftLoss(e, tape.probs, e.upload(labels, [batch.B, batch.T], 'i32'), e.upload(batch.lengths, [batch.B], 'i32'), {
        ...OBJECTIVE,
        k: K,
        batchSize: batch.B,
      });
      backward(e, spec, weights, tape, { probsGrad }, grads);

      const h = 1e-4;
      const perturbed = tensors as Map<string, { shape: readonly number[]; data: Float64Array }>;
      for (const g of grads.entries) {
        const gpu = await e.read(g.weight);
        const [inDim, outDim] = g.weight.shape;
        let largest = 0;
        for (const v of gpu) largest = Math.max(largest, Math.abs(v));
        for (let s = 0; s < 6; s++) {
          const i = (s * 7 + 3) % inDim;
          const o = (s * 11 + 1) % outDim;
          const { name, index } = hfEntry(spec, g.layer, g.which as 'q' | 'k', i, o);
          const w = perturbed.get(name)!.data;
          const keep = w[index];
          w[index] = keep + h;
          const plus = referenceLoss(spec, tensors, batch, labels);
          w[index] = keep - h;
          const minus = referenceLoss(spec, tensors, batch, labels);
          w[index] = keep;
          const fd = (plus - minus) / (2 * h);
          expect(Math.abs(gpu[i * outDim + o] - fd), `layer ${g.layer} W_${g.which.toUpperCase()}[${i}, ${o}]: GPU ${gpu[i * outDim + o]}, finite difference ${fd}`).toBeLessThan(
            TOL * largest,
          );
        }
      }
    });
  }
});
