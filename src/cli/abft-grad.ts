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
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { abftLoss, summarizeStats } from '../abft/loss';
import { defaultAbftObjective } from '../abft/objective';
import { labelMap } from '../abft/prepared';
import { InputError } from '../data/dataset';
import { backward } from '../model/backward';
import { lastTokenRows, packBatch } from '../model/batch';
import { nodeFolder } from '../model/files-node';
import { createTrainableGrads } from '../model/grads';
import { loadModel, releaseModel } from '../model/load';
import { trainingForward } from '../model/training-forward';
import { checkTokenIds, readJsonFile } from './json-input';
import { parseOptions, readingInput, requiredOption, type CliTool } from './run';

const NAME = 'abft-grad';

interface PromptSpec {
  readonly ids: number[];
  readonly plus: number[];
  readonly minus: number[];
}

/** [in, out] on the GPU to HF's [out, in]. */
function transpose(values: Float32Array, inDim: number, outDim: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < inDim; i++) for (let o = 0; o < outDim; o++) out[o * inDim + i] = values[i * outDim + o];
  return out;
}

function checkPrompts(prompts: unknown, file: string, vocabSize: number, maxLength: number): asserts prompts is PromptSpec[] {
  if (!Array.isArray(prompts) || prompts.length === 0) throw new InputError(`${file} must hold a non-empty list of prompts, [{ "ids": [...], "plus": [...], "minus": [...] }, ...]`);
  prompts.forEach((p: unknown, i) => {
    const where = `${file}: prompt ${i}`;
    const { ids, plus, minus } = (p ?? {}) as Partial<Record<keyof PromptSpec, unknown>>;
    checkTokenIds(ids, `${where} ids`, vocabSize, maxLength);
    for (const [key, positions] of [['plus', plus], ['minus', minus]] as const) {
      if (!Array.isArray(positions) || !positions.every((t) => Number.isInteger(t) && t >= 0 && t < ids.length)) {
        throw new InputError(`${where} ${key} is ${JSON.stringify(positions)?.slice(0, 40)}; it must list token positions from 0 to ${ids.length - 1}`);
      }
    }
  });
}

export const abftGrad: CliTool = {
  name: NAME,
  usage: `usage: abft-grad --model DIR --prompts PROMPTS.json --out DIR [--no-filter]
  --model DIR       the model folder (config.json, *.safetensors)
  --prompts FILE    JSON: [{ "ids": [...], "plus": [positions], "minus": [positions] }, ...], one pseudo-batch
  --out DIR         writes grad_q_<layer>.f32, grad_k_<layer>.f32 (HF nn.Linear layout [out, in]) and meta.json there
  --no-filter       without the paper's head filter`,
  async run(argv, io) {
    const o = parseOptions(NAME, argv, { model: 'string', prompts: 'string', out: 'string', 'no-filter': 'boolean' });
    const [modelDir, promptsFile, outDir] = [requiredOption(NAME, o, 'model'), requiredOption(NAME, o, 'prompts'), requiredOption(NAME, o, 'out')];
    const prompts = await readJsonFile(promptsFile);
    const folder = await readingInput(nodeFolder(modelDir));
    const e = await io.engine();
    const model = await readingInput(loadModel(e, folder, { requireTokenizer: false }));
    try {
      const { spec, weights } = model;
      checkPrompts(prompts, promptsFile, spec.vocabSize, spec.maxPositions);
      const objective = { ...defaultAbftObjective, headFilter: o['no-filter'] ? ('none' as const) : defaultAbftObjective.headFilter };
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
      await readingInput(mkdir(outDir, { recursive: true }));
      for (const g of grads.entries) {
        const [inDim, outDim] = g.weight.shape;
        const values = transpose((await e.read(g.weight)) as Float32Array, inDim, outDim);
        await writeFile(join(outDir, `grad_${g.which}_${g.layer}.f32`), new Uint8Array(values.buffer));
      }
      const meta = { adapter: e.adapterName, loss: summary.loss, passingHeads: summary.passingHeads, headFilter: objective.headFilter, layers: spec.numLayers };
      await writeFile(join(outDir, 'meta.json'), JSON.stringify(meta, null, 2));
      io.stdout(JSON.stringify(meta));
    } finally {
      releaseModel(model);
    }
  },
};
