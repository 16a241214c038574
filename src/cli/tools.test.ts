/**
 * The Node tools besides `abft` (abft.test.ts): --help prints the usage with exit code 0, bad input
 * is one line on stderr with exit code 2 and no stack trace, and only a bug is thrown (the entry
 * prints its stack trace and exits with 1).
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTinyModel } from '../model/testing/tiny-models';
import { abftGrad } from './abft-grad';
import { bench } from './bench';
import { benchKernels } from './bench-kernels';
import { modelRun } from './model-run';
import type { CliTool } from './run';
import { runToolCaptured } from './testing/run-tool';
import { tinyModelFolder } from './testing/tiny-model-folder';
import { tinyModel } from './tiny-model';

const tmp = tinyModelFolder('abft-tools-', 'gpt2');

/** Exit code 2 and exactly `message` as the only line on stderr, nothing on stdout. */
async function expectBadInput(tool: CliTool, argv: string[], message: string | RegExp): Promise<void> {
  const { code, out, err } = await runToolCaptured(tool, ...argv);
  expect(err).toHaveLength(1);
  if (typeof message === 'string') expect(err[0]).toBe(message);
  else expect(err[0]).toMatch(message);
  expect(out).toEqual([]);
  expect(code).toBe(2);
}

describe('--help', () => {
  for (const tool of [tinyModel, modelRun, abftGrad, bench, benchKernels]) {
    it(`${tool.name} prints its usage and exits with 0`, async () => {
      const { code, out, err } = await runToolCaptured(tool, '--help');
      expect(err).toEqual([]);
      expect(code).toBe(0);
      expect(out.join('\n')).toMatch(/^usage: /);
    });
  }
});

describe('tiny-model', () => {
  it('writes a model; refuses an unknown --arch, a missing --out and a bad --layers in one line', async () => {
    const dir = join(tmp.dir, 'written');
    const { code, out } = await runToolCaptured(tinyModel, '--arch', 'qwen2', '--out', dir, '--layers', '1');
    expect(code).toBe(0);
    expect(out).toEqual([`wrote a tiny qwen2 model with random weights to ${dir}`]);
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).num_hidden_layers).toBe(1);
    await expectBadInput(tinyModel, ['--arch', 'mistral', '--out', dir], 'tiny-model: --arch is "mistral"; pick one of gpt2, llama, qwen2, qwen3, gemma3');
    await expectBadInput(tinyModel, ['--arch', 'gpt2'], 'tiny-model: missing --out; see tiny-model --help');
    await expectBadInput(tinyModel, ['--arch', 'gpt2', '--out', dir, '--layers', 'two'], 'tiny-model: --layers is "two"; it takes a whole number of at least 1; see tiny-model --help');
    await expectBadInput(tinyModel, ['--arch', 'gpt2', '--out', dir, '--bogus'], "tiny-model: Unknown option '--bogus'; see tiny-model --help");
  });
});

describe('model-run', () => {
  it('writes logits, attention and meta.json for a good folder', async () => {
    const ids = join(tmp.dir, 'ids.json');
    await writeFile(ids, JSON.stringify([[1, 2, 3], [4, 5]]));
    const out = join(tmp.dir, 'run');
    const { code, out: lines, err } = await runToolCaptured(modelRun, '--model', tmp.modelDir, '--ids', ids, '--out', out);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const meta = JSON.parse(lines[0]);
    expect(meta).toMatchObject({ B: 2, T: 3, layers: 2 });
    expect(meta.gpuWeightBytes).toBeGreaterThan(0);
    expect((await stat(join(out, 'logits.f32'))).size).toBe(2 * meta.vocab * 4);
  });

  it('reports a missing --model, a missing folder, a corrupt file, NaN weights and bad token ids in one line', async () => {
    const ids = join(tmp.dir, 'ids.json');
    await writeFile(ids, JSON.stringify([[1, 2, 3]]));
    const out = join(tmp.dir, 'refused');
    await expectBadInput(modelRun, ['--ids', ids, '--out', out], 'model-run: missing --model; see model-run --help');
    const missing = join(tmp.dir, 'no-such-model');
    await expectBadInput(modelRun, ['--model', missing, '--ids', ids, '--out', out], `model-run: model folder ${missing} does not exist; pass the folder that holds config.json`);

    const corrupt = join(tmp.dir, 'corrupt');
    await writeTinyModel(corrupt, 'gpt2');
    const weights = await readFile(join(corrupt, 'model.safetensors'));
    await writeFile(join(corrupt, 'model.safetensors'), weights.subarray(0, 3000));
    await expectBadInput(modelRun, ['--model', corrupt, '--ids', ids, '--out', out], /^model-run: model\.safetensors: the file is truncated: it has 3000 bytes, tensor "transformer\.wte\.weight" needs bytes up to \d+; download it again/);

    const diverged = join(tmp.dir, 'diverged');
    await writeTinyModel(diverged, 'gpt2', { planted: [{ tensor: 'transformer.h.0.mlp.c_proj.weight', index: 100, value: NaN }] });
    await expectBadInput(
      modelRun,
      ['--model', diverged, '--ids', ids, '--out', out],
      'model-run: model.safetensors: tensor transformer.h.0.mlp.c_proj.weight holds NaN at element 100 (of 4096); the file is damaged or was saved from a diverged run; re-download or re-export it.',
    );

    await writeFile(ids, JSON.stringify([[1, 2], [3, 100000]]));
    await expectBadInput(modelRun, ['--model', tmp.modelDir, '--ids', ids, '--out', out], /^model-run: .*ids\.json: sequence 1, token 1, is 100000; token ids of this model are whole numbers from 0 to \d+$/);
    await writeFile(ids, '[[1, 2');
    await expectBadInput(modelRun, ['--model', tmp.modelDir, '--ids', ids, '--out', out], /^model-run: .*ids\.json is not valid JSON \(/);
  });
});

describe('abft-grad', () => {
  it('reports a missing --model and bad prompts in one line', async () => {
    const prompts = join(tmp.dir, 'prompts.json');
    await writeFile(prompts, JSON.stringify([{ ids: [1, 2, 3], plus: [0], minus: [5] }]));
    const out = join(tmp.dir, 'grad');
    await expectBadInput(abftGrad, ['--prompts', prompts, '--out', out], 'abft-grad: missing --model; see abft-grad --help');
    await expectBadInput(abftGrad, ['--model', tmp.modelDir, '--prompts', prompts, '--out', out], `abft-grad: ${prompts}: prompt 0 minus is [5]; it must list token positions from 0 to 2`);
  });
});

describe('bench and bench-kernels', () => {
  it('report a bad option with exit code 2 and no stack trace', async () => {
    const { code, err } = await runToolCaptured(bench, '--models', 'gpt9');
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/^bench: --models: unknown gpt9; known: .*\n\nusage: /);
    expect(err.join('\n')).not.toMatch(/\n\s+at /);
    await expectBadInput(benchKernels, ['--tile', 'huge'], /^bench-kernels: --tile is "huge"; pick one of large, small/);
    await expectBadInput(benchKernels, ['--tokens', '128,x'], 'bench-kernels: --tokens is "x"; it takes a whole number of at least 1; see bench-kernels --help');
  });
});

describe('runTool', () => {
  it('throws what is not bad input, for the entry to print with its stack trace', async () => {
    const buggy: CliTool = { name: 'buggy', usage: 'usage: buggy', run: async () => void (null as unknown as { x: number }).x };
    await expect(runToolCaptured(buggy)).rejects.toThrow(TypeError);
  });
});
