/**
 * Runs a model folder on given token ids and writes what the parity check compares with HF
 * transformers: last-token logits over the whole vocabulary and the last-token attention
 * probabilities of every layer and head.
 *
 *   node dist-node/model-run.mjs --model DIR --ids IDS.json --out DIR [--f16]
 *
 * IDS.json: [[token ids], ...]. Writes OUT/logits.f32 ([B, V]), OUT/attention.f32 ([L, B, H, T]
 * with T the longest sequence) and OUT/meta.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Engine } from '../engine/engine';
import { nodeGpu } from '../engine/node-gpu';
import { lastTokenRows, packBatch } from '../model/batch';
import { nodeFolder } from '../model/files-node';
import { forward } from '../model/forward';
import { loadModel } from '../model/load';
import { runCli } from './run';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function required(name: string): string {
  const v = option(name);
  if (!v) throw new Error(`missing ${name}; usage: model-run --model DIR --ids IDS.json --out DIR [--f16]`);
  return v;
}

async function main(): Promise<void> {
  const [modelDir, idsFile, outDir] = [required('--model'), required('--ids'), required('--out')];
  const sequences = JSON.parse(await readFile(idsFile, 'utf8')) as number[][];
  const e = await Engine.create(await nodeGpu());
  const started = performance.now();
  const model = await loadModel(e, await nodeFolder(modelDir), { frozenDType: process.argv.includes('--f16') ? 'f16' : 'f32', requireTokenizer: false });
  const loadMs = performance.now() - started;
  const batch = packBatch(sequences, 0);
  const rows = lastTokenRows(batch);
  const result = forward(e, model.spec, model.weights, batch, { logits: { rows }, attention: { rows } });
  const logits = await e.read(result.logits!);
  const layers = await Promise.all(result.attention!.map((t) => e.read(t)));
  const attention = new Float32Array(layers.reduce((n, l) => n + l.length, 0));
  layers.forEach((l, i) => attention.set(l, i * l.length));
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'logits.f32'), new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength));
  await writeFile(join(outDir, 'attention.f32'), new Uint8Array(attention.buffer, attention.byteOffset, attention.byteLength));
  const meta = {
    adapter: e.adapterName,
    model: model.label,
    architecture: model.spec.hfArchitecture,
    B: batch.B,
    T: batch.T,
    vocab: model.spec.vocabSize,
    layers: model.spec.numLayers,
    heads: model.spec.numHeads,
    parameters: model.parameters,
    gpuWeightBytes: model.gpuBytes,
    peakGpuBytes: e.memory().peakAllocatedBytes,
    loadMs,
    warnings: model.warnings,
  };
  await writeFile(join(outDir, 'meta.json'), JSON.stringify(meta, null, 2));
  console.log(JSON.stringify(meta));
  e.destroy();
}

runCli(main);
