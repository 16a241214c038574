import { describe, expect, it } from 'vitest';
import { testEngine } from '../engine/testing/gpu';
import { randomArray } from '../engine/random';
import { openCheckpoint } from './checkpoint';
import { exportFineTuned } from './export';
import { memoryFolder } from './files';
import { loadModel, releaseModel } from './load';
import { ARCHITECTURE_IDS } from './arch';
import { tinyModelFiles } from './testing/tiny-models';

describe('export of the fine-tuned model as an HF checkpoint', () => {
  for (const arch of ARCHITECTURE_IDS) {
    it(`${arch}: changed W_Q/W_K (and biases) load back bit-exact, every other tensor is copied unchanged`, async () => {
      const e = await testEngine();
      const files = tinyModelFiles(arch, { dtype: arch === 'llama' ? 'BF16' : 'F32' });
      const base = memoryFolder(`tiny ${arch}`, files);
      const model = await loadModel(e, base);
      // Stand-ins for trained values: new random W_Q, W_K and biases written on the GPU.
      let seed = 100;
      for (const layer of model.weights.layers) {
        for (const t of [layer.q.weight, layer.k.weight, layer.q.bias, layer.k.bias]) if (t) e.write(t, randomArray(t.size, seed++));
      }
      const source = await openCheckpoint(base);
      const bytes = await exportFineTuned(e, model.spec, model.weights, source, { fine_tuned_with: 'ABFT' });

      const exported = await openCheckpoint(memoryFolder('exported', { ...files, 'model.safetensors': bytes }));
      expect([...exported.names()].sort()).toEqual([...source.names()].sort());
      const reloaded = await loadModel(e, memoryFolder('exported', { ...files, 'model.safetensors': bytes }));
      for (let l = 0; l < model.spec.numLayers; l++) {
        const [a, b] = [model.weights.layers[l], reloaded.weights.layers[l]];
        for (const which of ['q', 'k', 'v', 'o'] as const) {
          expect(Array.from(await e.read(b[which].weight)), `layer ${l} ${which} weight`).toEqual(Array.from(await e.read(a[which].weight)));
          const [ba, bb] = [a[which].bias, b[which].bias];
          if (ba && bb) expect(Array.from(await e.read(bb)), `layer ${l} ${which} bias`).toEqual(Array.from(await e.read(ba)));
        }
      }
      const trainedNames = /c_attn|q_proj|k_proj/;
      for (const name of source.names()) {
        if (trainedNames.test(name)) continue;
        expect(exported.info(name)!.dtype, name).toBe(source.info(name)!.dtype);
        expect(Buffer.from(await exported.readRaw(name)).equals(Buffer.from(await source.readRaw(name))), `${name} copied unchanged`).toBe(true);
      }
      releaseModel(model);
      releaseModel(reloaded);
    });
  }
});
