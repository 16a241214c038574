/**
 * The ABFT gradient of W_Q and W_K for given prompts, written for the parity check against an
 * independent PyTorch implementation on HF transformers (scripts/gpu/abft_parity.py).
 *
 *   node dist-node/abft-grad.mjs --model DIR --prompts PROMPTS.json --out DIR [--no-filter]
 *
 * PROMPTS.json: [{ "ids": [...], "plus": [positions], "minus": [positions] }, ...], all in one
 * pseudo-batch. Writes OUT/grad_q_<layer>.f32 and OUT/grad_k_<layer>.f32 in the file layout of HF
 * nn.Linear ([out, in]) for every architecture, and OUT/meta.json with the loss.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { abftLoss, summarizeStats } from '../abft/loss';
import { defaultAbftObjective } from '../abft/objective';
import { labelMap } from '../abft/prepared';
import { Engine } from '../engine/engine';
import { nodeGpu } from '../engine/node-gpu';
import { backward } from '../model/backward';
import { lastTokenRows, packBatch } from '../model/batch';
import { nodeFolder } from '../model/files-node';
import { createTrainableGrads } from '../model/grads';
import { loadModel } from '../model/load';
import { trainingForward } from '../model/training-forward';
import { runCli } from './run';

interface PromptSpec {
  readonly ids: number[];
  readonly plus: number[];
  readonly minus: number[];
}

function option(name: string): string {
  const i = process.argv.indexOf(name);
  if (i < 0 || !process.argv[i + 1]) throw new Error(`missing ${name}; usage: abft-grad --model DIR --prompts PROMPTS.json --out DIR [--no-filter]`);
  return process.argv[i + 1];
}

/** [in, out] on the GPU to HF's [out, in]. */
function transpose(values: Float32Array, inDim: number, outDim: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < inDim; i++) for (let o = 0; o < outDim; o++) out[o * inDim + i] = values[i * outDim + o];
  return out;
}

runCli(async () => {
  const [modelDir, promptsFile, outDir] = [option('--model'), option('--prompts'), option('--out')];
  const prompts = JSON.parse(await readFile(promptsFile, 'utf8')) as PromptSpec[];
  const e = await Engine.create(await nodeGpu());
  const model = await loadModel(e, await nodeFolder(modelDir), { requireTokenizer: false });
  const { spec, weights } = model;
  const objective = { ...defaultAbftObjective, headFilter: process.argv.includes('--no-filter') ? ('none' as const) : defaultAbftObjective.headFilter };
  const batch = packBatch(prompts.map((p) => p.ids), 0);
  const grads = createTrainableGrads(e, spec, weights, 'qk');
  const tape = trainingForward(e, spec, weights, batch, { lossRows: lastTokenRows(batch), upTo: 'last-attention' });
  const labels = labelMap(prompts, batch);
  const { probsGrad, stats } = abftLoss(e, tape.probs, e.upload(labels, [batch.B, batch.T], 'i32'), e.upload(batch.lengths, [batch.B], 'i32'), {
    ...objective,
    k: Math.max(...prompts.map((p) => p.plus.length + p.minus.length)),
    batchSize: batch.B,
  });
  backward(e, spec, weights, tape, { probsGrad }, grads);
  const summary = summarizeStats(await e.read(stats), { batch: batch.B, layers: spec.numLayers, heads: spec.numHeads }, objective);
  await mkdir(outDir, { recursive: true });
  for (const g of grads.entries) {
    const [inDim, outDim] = g.weight.shape;
    const values = transpose((await e.read(g.weight)) as Float32Array, inDim, outDim);
    await writeFile(join(outDir, `grad_${g.which}_${g.layer}.f32`), new Uint8Array(values.buffer));
  }
  const meta = { adapter: e.adapterName, loss: summary.loss, passingHeads: summary.passingHeads, headFilter: objective.headFilter, layers: spec.numLayers };
  await writeFile(join(outDir, 'meta.json'), JSON.stringify(meta, null, 2));
  console.log(JSON.stringify(meta));
  e.destroy();
});
