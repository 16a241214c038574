/**
 * The float64 reference against HF transformers' Gemma3ForCausalLM (4.x, eager, float64) on the tiny
 * Gemma 3 model of tiny-models.ts (4 layers, sliding window 3 on layers 0 and 2): the expected logits
 * were printed by AutoModelForCausalLM.from_pretrained(dir).double() on the files writeTinyModel
 * writes. Without the window, HF's logits move by up to 20, so the window, the (1 + w) norms, the
 * post-norms, GeGLU, the embedding scale and each layer kind's RoPE are all exercised.
 */
import { describe, expect, it } from 'vitest';
import { packBatch } from '../batch';
import { openCheckpoint } from '../checkpoint';
import { parseModelConfig } from '../config';
import { memoryFolder } from '../files';
import { readHfTensors } from '../testing/tiny-loaded';
import { tinyModelFiles } from '../testing/tiny-models';
import { referenceForward } from './forward';

const IDS = [3, 10, 17, 24, 31, 38, 45, 52];
const HF_ROW7_VOCAB_0_8 = [-3.457035, -12.757614, 4.7195, -9.218958, -6.897954, -1.249637, -5.926502, -6.811348];
const HF_ROW3_VOCAB_100_108 = [-7.675298, 5.071338, -1.340218, 1.306405, 2.520802, -8.547056, 1.702382, -2.225334];

describe('Gemma 3 float64 reference', () => {
  it('matches HF transformers on the tiny model', async () => {
    const files = tinyModelFiles('gemma3', { layers: 4 });
    const spec = parseModelConfig(JSON.parse(files['config.json'] as string));
    const tensors = await readHfTensors(await openCheckpoint(memoryFolder('tiny gemma3', files)));
    const batch = packBatch([IDS], 0);
    const logits = referenceForward(spec, tensors, batch, { logits: { rows: Int32Array.from([3, 7]) } }).logits!;
    const V = spec.vocabSize;
    // 2e-5: the printed digits (5e-7) and RoPE's f32 angles, which HF's float64 model computes in f64.
    const got = [...logits.subarray(V, V + 8), ...logits.subarray(100, 108)];
    const want = [...HF_ROW7_VOCAB_0_8, ...HF_ROW3_VOCAB_100_108];
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `logit ${i}`).toBeLessThan(2e-5);
  });
});
