/**
 * Writes a tiny model of a supported architecture (real config.json, model.safetensors and
 * tokenizer files, random weights) into a folder, to try the loaders, the CLI and the app offline.
 *
 *   node dist-node/tiny-model.mjs --arch gpt2|llama|qwen2|… (every registered architecture) --out DIR [--seed N] [--layers N]
 */
import { InputError } from '../data/dataset';
import { ARCHITECTURE_IDS as ARCHITECTURES, type Architecture } from '../model/arch';
import { writeTinyModel } from '../model/testing/tiny-models';
import { integerOption, parseOptions, readingInput, requiredOption, type CliTool } from './run';

const NAME = 'tiny-model';

export const tinyModel: CliTool = {
  name: NAME,
  usage: `usage: tiny-model --arch ${ARCHITECTURES.join('|')} --out DIR [--seed N] [--layers N]
  --arch      the architecture (GPT-2, Llama as SmolLM2, Qwen2 as Qwen2.5, Qwen3 as Qwen3-0.6B, Gemma 3 as gemma-3-270m)
  --out       the folder to write config.json, model.safetensors and the tokenizer files into
  --seed N    of the random weights (default 0)
  --layers N  transformer layers (default 2)`,
  async run(argv, io) {
    const o = parseOptions(NAME, argv, { arch: 'string', out: 'string', seed: 'string', layers: 'string' });
    const arch = requiredOption(NAME, o, 'arch') as Architecture;
    if (!ARCHITECTURES.includes(arch)) throw new InputError(`--arch is ${JSON.stringify(arch)}; pick one of ${ARCHITECTURES.join(', ')}`);
    const out = requiredOption(NAME, o, 'out');
    const seed = integerOption(NAME, o.seed, 'seed', 0, 0);
    const layers = integerOption(NAME, o.layers, 'layers', 1, 2);
    await readingInput(writeTinyModel(out, arch, { seed, layers }));
    io.stdout(`wrote a tiny ${arch} model with random weights to ${out}`);
  },
};
