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
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../data/dataset';
import { lastTokenRows, packBatch } from '../model/batch';
import { nodeFolder } from '../model/files-node';
import { forward } from '../model/forward';
import { loadModel, releaseModel } from '../model/load';
import { checkTokenIds, readJsonFile } from './json-input';
import { parseOptions, readingInput, requiredOption, type CliTool } from './run';

const NAME = 'model-run';

export const modelRun: CliTool = {
  name: NAME,
  usage: `usage: model-run --model DIR --ids IDS.json --out DIR [--f16]
  --model DIR     the model folder (config.json, *.safetensors)
  --ids FILE      JSON: [[token ids], ...], one list per sequence
  --out DIR       writes logits.f32 ([B, V]), attention.f32 ([L, B, H, T]) and meta.json there
  --f16           keep the frozen weights in f16`,
  async run(argv, io) {
    const o = parseOptions(NAME, argv, { model: 'string', ids: 'string', out: 'string', f16: 'boolean' });
    const [modelDir, idsFile, outDir] = [requiredOption(NAME, o, 'model'), requiredOption(NAME, o, 'ids'), requiredOption(NAME, o, 'out')];
    const sequences = await readJsonFile(idsFile);
    if (!Array.isArray(sequences) || sequences.length === 0) throw new InputError(`${idsFile} must hold a non-empty list of token id lists, [[ids], ...]`);
    const folder = await readingInput(nodeFolder(modelDir));
    const e = await io.engine();
    const started = performance.now();
    const model = await readingInput(loadModel(e, folder, { frozenDType: o.f16 ? 'f16' : 'f32', requireTokenizer: false }));
    const loadMs = performance.now() - started;
    try {
      sequences.forEach((ids, i) => checkTokenIds(ids, `${idsFile}: sequence ${i}`, model.spec.vocabSize, model.spec.maxPositions));
      const batch = packBatch(sequences as number[][], 0);
      const rows = lastTokenRows(batch);
      const result = forward(e, model.spec, model.weights, batch, { logits: { rows }, attention: { rows } });
      const logits = await e.read(result.logits!);
      const layers = await Promise.all(result.attention!.map((t) => e.read(t)));
      for (const t of [result.logits!, ...result.attention!]) t.release();
      const attention = new Float32Array(layers.reduce((n, l) => n + l.length, 0));
      layers.forEach((l, i) => attention.set(l, i * l.length));
      await readingInput(mkdir(outDir, { recursive: true }));
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
      io.stdout(JSON.stringify(meta));
    } finally {
      releaseModel(model);
    }
  },
};
