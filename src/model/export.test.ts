import { describe, expect, it } from 'vitest';
import { testEngine } from '../engine/testing/gpu';
import { randomArray } from '../engine/random';
import { openCheckpoint } from './checkpoint';
import { exportFineTuned } from './export';
import { memoryFolder } from './files';
import { loadModel, releaseModel } from './load';
import { ARCHITECTURE_IDS } from './arch';
import { tinyModelFiles } from './testing/tiny-models';
import type { ModelWeights } from './spec';
import type { Tensor } from '../engine/tensor';

/** Every weight tensor in a fixed order (a tied head once, as the embedding), for comparing two loads of one model. */
function allWeights(w: ModelWeights): Tensor[] {
  const out: (Tensor | null)[] = [...w.tokenEmbedding.chunks, w.positionEmbedding, w.finalNorm.weight, w.finalNorm.bias];
  if (w.lmHead !== w.tokenEmbedding) out.push(...w.lmHead.chunks);
  for (const layer of w.layers) for (const part of Object.values(layer)) if (part) out.push(part.weight, part.bias);
  return out.filter((t): t is Tensor => t !== null);
}

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

  for (const [arch, tied] of ARCHITECTURE_IDS.flatMap((a) => [[a, true], [a, false]] as const)) {
    it(`${arch} (${tied ? 'tied' : 'untied'}), every weight changed (pretraining): all of them load back bit-exact from weights: 'all'`, async () => {
      const e = await testEngine();
      const files = tinyModelFiles(arch, { tied, dtype: arch === 'llama' ? 'BF16' : 'F32' });
      const base = memoryFolder(`tiny ${arch}`, files);
      // Small chunks: the embedding and head are read back chunk by chunk.
      const model = await loadModel(e, base, { vocabularyChunkRows: 9 });
      let seed = 300;
      for (const t of allWeights(model.weights)) e.write(t, randomArray(t.size, seed++));
      const source = await openCheckpoint(base);
      const bytes = await exportFineTuned(e, model.spec, model.weights, source, { pretrained_with: 'abft-studio' }, { weights: 'all' });
      const exportedFiles = { ...files, 'model.safetensors': bytes };
      const exported = await openCheckpoint(memoryFolder('exported', exportedFiles));
      expect([...exported.names()].sort()).toEqual([...source.names()].sort());
      const reloaded = await loadModel(e, memoryFolder('exported', exportedFiles));
      const [a, b] = [allWeights(model.weights), allWeights(reloaded.weights)];
      const [va, vb] = [await Promise.all(a.map((t) => e.read(t))), await Promise.all(b.map((t) => e.read(t)))];
      // Chunked differently (9 rows against one chunk): compare the concatenations.
      const flat = (vs: ArrayLike<number>[]) => vs.flatMap((v) => Array.from(v));
      expect(flat(vb)).toEqual(flat(va));
      releaseModel(model);
      releaseModel(reloaded);
    });
  }
});
