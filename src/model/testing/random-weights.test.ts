import { describe, expect, it } from 'vitest';
import { testEngine } from '../../engine/testing/gpu';
import { expectClose } from '../../engine/testing/compare';
import { lastTokenRows, packBatch } from '../batch';
import { parseModelConfig } from '../config';
import { forward } from '../forward';
import { releaseWeights } from '../load';
import { randomModelWeights } from './random-weights';
import { tinyModelFiles } from './tiny-models';

describe('randomModelWeights', () => {
  for (const arch of ['gpt2', 'llama'] as const) {
    it(`${arch}: f16 frozen weights hold the f32 weights' values rounded, W_Q/W_K packed in f32`, async () => {
      const e = await testEngine();
      if (!e.features.shaderF16) return;
      const spec = parseModelConfig(JSON.parse(tinyModelFiles(arch)['config.json'] as string));
      const w32 = randomModelWeights(e, spec, 3, 'f32');
      const w16 = randomModelWeights(e, spec, 3, 'f16');
      for (const layer of w16.layers) {
        expect([layer.q.weight.dtype, layer.k.weight.dtype, layer.v.weight.dtype, layer.o.weight.dtype, layer.up.weight.dtype, layer.down.weight.dtype]).toEqual(['f32', 'f32', 'f16', 'f16', 'f16', 'f16']);
        if (layer.v.bias) expect(layer.v.bias.dtype).toBe('f32');
        // Packed for the optimizer's one launch per buffer (trainable-pack.ts).
        expect(layer.k.weight.buffer).toBe(w16.layers[0].q.weight.buffer);
      }
      expect(Array.from(await e.read(w16.layers[1].k.weight))).toEqual(Array.from(await e.read(w32.layers[1].k.weight)));
      const up32 = await e.read(w32.layers[0].up.weight);
      const up16 = await e.read(w16.layers[0].up.weight);
      expectClose(up16, up32, { rtol: 2 ** -11, atol: 0 }, 'up weight');
      const batch = packBatch([[1, 2, 3, 4, 5]], 0);
      const rows = { rows: lastTokenRows(batch) };
      const [l32, l16] = [forward(e, spec, w32, batch, { logits: rows }).logits!, forward(e, spec, w16, batch, { logits: rows }).logits!];
      expectClose(await e.read(l16), await e.read(l32), { rtol: 1e-2, atol: 1e-3 }, 'logits');
      releaseWeights(w32);
      releaseWeights(w16);
    });
  }
});
