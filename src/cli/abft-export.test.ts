import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTinyModel } from '../model/testing/tiny-models';
import { onnx } from '../onnx/schema';
import { runAbft } from './testing/run-abft';
import { tinyModelFolder } from './testing/tiny-model-folder';

const tmp = tinyModelFolder('abft-export-', 'qwen2');

const cli = runAbft;

interface ModelObject {
  readonly graph: { initializer: { name: string; rawData: Uint8Array }[] };
  readonly metadataProps?: { key: string; value: string }[];
}

async function readModel(folder: string): Promise<ModelObject> {
  return onnx.ModelProto.toObject(onnx.ModelProto.decode(await readFile(join(folder, 'onnx/model.onnx')))) as ModelObject;
}

/** The float32 values of one initializer of an exported model.onnx. */
async function initializer(folder: string, name: string): Promise<Float32Array> {
  const raw = (await readModel(folder)).graph.initializer.find((t) => t.name === name)!.rawData;
  return new Float32Array(Uint8Array.from(raw).buffer);
}

describe('abft export --onnx', () => {
  it('applies a training checkpoint, writes the folder, and verifies it in onnxruntime-web against the engine', async () => {
    const run = join(tmp.dir, 'run');
    const train = await cli('train', '--model', tmp.modelDir, '--data', 'synthetic', '--ablation', 'no-filter', '--pseudo-batch', '4', '--micro-batch', '4', '--train-prompts', '8', '--lr', '1e-2', '--steps', '1', '--queries', '0', '--out', run);
    expect(train.err).toEqual([]);
    expect(train.code).toBe(0);

    const out = join(tmp.dir, 'onnx-from-checkpoint');
    const { code, out: lines, err } = await cli('export', '--model', tmp.modelDir, '--checkpoint', join(run, 'checkpoint.safetensors'), '--onnx', '--out', out, '--queries', '3');
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const summary = JSON.parse(lines.join('\n'));
    expect(summary.files.map((f: { path: string }) => f.path)).toEqual(['onnx/model.onnx', 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect(summary.externalData).toBe(false);
    expect(summary.verify).toMatchObject({ prompts: 3, agreements: 3, realDisagreements: 0, passed: true });
    expect(summary.verify.maxRelDiff).toBeLessThanOrEqual(summary.verify.tolerance);
    console.log(`abft export (qwen2, wasm): max relative logit difference ${summary.verify.maxRelDiff.toExponential(2)}, max absolute ${summary.verify.maxAbsDiff.toExponential(2)}`);
    for (const f of summary.files) expect((await stat(join(out, f.path))).size).toBe(f.bytes);
    // The same keys as the safetensors export (session/export.ts): the run's steps and options from the checkpoint.
    const metadata = Object.fromEntries((await readModel(out)).metadataProps!.map((p) => [p.key, p.value]));
    expect(metadata).toMatchObject({ fine_tuned_with: 'ABFT Studio', training_steps: '1', 'abft.steps': '1', 'abft.lr': '0.01', 'abft.objective': 'abft' });
    expect(metadata['abft.base']).toBe(metadata.base_model);

    // The trained W_K is the one train wrote into its fine-tuned model, and differs from the base.
    const fromTrainedFolder = join(tmp.dir, 'onnx-from-trained-folder');
    expect((await cli('export', '--model', run, '--onnx', '--out', fromTrainedFolder, '--queries', '0')).code).toBe(0);
    const name = 'model.layers.1.self_attn.k_proj.weight';
    expect(await initializer(out, name)).toEqual(await initializer(fromTrainedFolder, name));
    const base = join(tmp.dir, 'onnx-base');
    expect((await cli('export', '--model', tmp.modelDir, '--onnx', '--out', base, '--queries', '0')).code).toBe(0);
    expect(await initializer(out, name)).not.toEqual(await initializer(base, name));
  });

  it('--external-data-above 0 puts the weights in onnx/model.onnx_data, and the folder still verifies', async () => {
    const out = join(tmp.dir, 'onnx-external');
    const { code, out: lines, err } = await cli('export', '--model', tmp.modelDir, '--onnx', '--out', out, '--queries', '2', '--external-data-above', '0');
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const summary = JSON.parse(lines.join('\n'));
    expect(summary.externalData).toBe(true);
    expect((await stat(join(out, 'onnx/model.onnx_data'))).size).toBeGreaterThanOrEqual(summary.weightBytes);
    expect(summary.verify.passed).toBe(true);
  });
});

describe('abft export: bad input is one message, exit code 2', () => {
  const cases: [string, () => Promise<string[]>, RegExp][] = [
    ['no --onnx', async () => ['export', '--model', tmp.modelDir, '--out', join(tmp.dir, 'x')], /missing --onnx/],
    ['no --out', async () => ['export', '--model', tmp.modelDir, '--onnx'], /missing --out/],
    ['a train option', async () => ['export', '--model', tmp.modelDir, '--onnx', '--out', join(tmp.dir, 'x'), '--steps', '2'], /--steps is an option of abft train, not abft export/],
    ['an export option to train', async () => ['train', '--model', tmp.modelDir, '--data', 'synthetic', '--onnx'], /--onnx is an option of abft export, not abft train/],
    [
      'an unsupported architecture',
      async () => {
        const mistral = join(tmp.dir, 'mistral');
        await writeTinyModel(mistral, 'llama');
        const config = JSON.parse(await readFile(join(mistral, 'config.json'), 'utf8'));
        await writeFile(join(mistral, 'config.json'), JSON.stringify({ ...config, architectures: ['MistralForCausalLM'], model_type: 'mistral' }));
        return ['export', '--model', mistral, '--onnx', '--out', join(tmp.dir, 'x')];
      },
      /architecture MistralForCausalLM is not supported; supported: GPT2LMHeadModel, LlamaForCausalLM, Qwen2ForCausalLM/,
    ],
    [
      'a model too large for the browser',
      async () => ['export', '--model', tmp.modelDir, '--onnx', '--out', join(tmp.dir, 'x'), '--max-weight-bytes', '100000'],
      /has 1\d\d\.\d KiB of float32 weights, more than the 97\.7 KiB a browser can hold for onnxruntime-web/,
    ],
    [
      'a checkpoint that is not one',
      async () => {
        await mkdir(tmp.dir, { recursive: true });
        await writeFile(join(tmp.dir, 'junk.safetensors'), 'junk');
        return ['export', '--model', tmp.modelDir, '--onnx', '--out', join(tmp.dir, 'x'), '--checkpoint', join(tmp.dir, 'junk.safetensors')];
      },
      /--checkpoint .*junk\.safetensors: the file is not an ABFT Studio training checkpoint/,
    ],
  ];
  for (const [what, argv, message] of cases) {
    it(what, async () => {
      const { code, err, out } = await cli(...(await argv()));
      expect(err.join('\n')).toMatch(message);
      expect(err.join('\n')).not.toMatch(/\n\s+at /);
      expect(err).toHaveLength(1);
      expect(out).toEqual([]);
      expect(code).toBe(2);
    });
  }
});
