/**
 * Writes a tiny model of a supported architecture (real config.json, model.safetensors and
 * tokenizer files, random weights) into a folder, to try the loaders, the CLI and the app offline.
 *
 *   node dist-node/tiny-model.mjs --arch gpt2|llama|qwen2 --out DIR [--seed N] [--layers N]
 */
import type { Architecture } from '../model/spec';
import { writeTinyModel } from '../model/testing/tiny-models';
import { runCli } from './run';

const ARCHITECTURES: readonly Architecture[] = ['gpt2', 'llama', 'qwen2'];

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

runCli(async () => {
  const arch = option('--arch') as Architecture | undefined;
  const out = option('--out');
  if (!arch || !ARCHITECTURES.includes(arch) || !out) {
    throw new Error(`usage: tiny-model --arch ${ARCHITECTURES.join('|')} --out DIR [--seed N] [--layers N] (got --arch ${arch}, --out ${out})`);
  }
  const seed = Number(option('--seed') ?? 0);
  const layers = Number(option('--layers') ?? 2);
  await writeTinyModel(out, arch, { seed, layers });
  console.log(`wrote a tiny ${arch} model with random weights to ${out}`);
});
