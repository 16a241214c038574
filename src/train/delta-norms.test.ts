import { describe, expect, it } from 'vitest';
import { testEngine } from '../engine/testing/gpu';
import { memoryFolder } from '../model/files';
import { loadModel, releaseModel } from '../model/load';
import type { Architecture } from '../model/spec';
import { tinyModelFiles } from '../model/testing/tiny-models';
import { deltaNorms, WeightSnapshot } from './delta-norms';

describe.each(['gpt2', 'llama'] as Architecture[])('delta norms of a tiny %s model', (arch) => {
  it('are 0 before training and the Frobenius norm of known changes to W_Q / W_K after; the snapshot restores them', async () => {
    const e = await testEngine();
    const model = await loadModel(e, memoryFolder(`tiny ${arch}`, tinyModelFiles(arch)));
    const { hiddenSize: C, numHeads, numKvHeads, headDim, numLayers } = model.spec;
    const snapshot = await WeightSnapshot.take(e, model);
    const biasFloats = model.weights.layers.reduce((n, l) => n + (l.q.bias?.size ?? 0) + (l.k.bias?.size ?? 0), 0);
    expect(snapshot.floats).toBe(numLayers * (C * numHeads * headDim + C * numKvHeads * headDim) + biasFloats);
    expect(await deltaNorms(e, model, snapshot)).toEqual(Array.from({ length: numLayers }, (_, layer) => ({ layer, q: 0, k: 0 })));

    // Known changes: W_Q of layer 0 and W_K of the last layer (GQA-shaped for llama) move by i-dependent steps.
    const last = numLayers - 1;
    const moved = (w: Float32Array, scale: number) => Float32Array.from(w, (v, i) => v + scale * (((i * 7) % 13) - 6));
    const q0 = moved(snapshot.q[0], 1e-3);
    const kLast = moved(snapshot.k[last], 2e-2);
    e.write(model.weights.layers[0].q.weight, q0);
    e.write(model.weights.layers[last].k.weight, kLast);
    const cpu = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));

    const norms = await deltaNorms(e, model, snapshot);
    expect(norms[0].q).toBeCloseTo(cpu(q0, snapshot.q[0]), 12);
    expect(norms[last].k).toBeCloseTo(cpu(kLast, snapshot.k[last]), 12);
    expect(norms[0].q).toBeGreaterThan(0);
    expect(norms[last].k).toBeGreaterThan(norms[0].q);
    expect(norms[0].k).toBe(0);
    expect(norms[last].q).toBe(0);

    // Restoring writes the snapshot's bits back, biases included.
    const qBias = model.weights.layers[0].q.bias;
    const biasBefore = qBias && Array.from(await e.read(qBias));
    if (qBias) e.write(qBias, new Float32Array(qBias.size).fill(3));
    snapshot.restore(e, model);
    expect(await deltaNorms(e, model, snapshot)).toEqual(Array.from({ length: numLayers }, (_, layer) => ({ layer, q: 0, k: 0 })));
    if (qBias) expect(Array.from(await e.read(qBias))).toEqual(biasBefore);
    releaseModel(model);
  });
});
