/**
 * `npm run bench` (node dist-node/bench.mjs): the ABFT step, evaluation and end-to-end step on GPT-2
 * 124M, SmolLM2-135M and gpt2-large configurations with random weights; prints one JSON document
 * (src/bench/step-bench.ts says what is measured). scripts/gpu/bench_pytorch.py prints the same
 * fields for PyTorch, and scripts/gpu/bench-compare.sh the ratio of the two on the GPU machine.
 */
import { writeFileSync } from 'node:fs';
import { BENCH_USAGE, parseBenchArgs } from '../bench/options';
import { benchFrozenDType, benchModel } from '../bench/step-bench';
import type { CliTool } from './run';

export const bench: CliTool = {
  name: 'bench',
  // parseBenchArgs answers --help and -h; its BenchUsageError is an InputError that carries the usage.
  async run(argv, io) {
    const opts = parseBenchArgs(argv);
    if (opts === 'help') {
      io.stdout(BENCH_USAGE);
      return;
    }
    const e = await io.engine();
    const log = (line: string) => io.stderr(line);
    log(`adapter: ${e.adapterName}`);
    const frozenDType = benchFrozenDType(e, opts);
    log(`frozen weights: ${frozenDType}`);
    const results = [];
    for (const name of opts.models) results.push(...(await benchModel(e, name, opts, log)));
    const doc = {
      engine: 'abft-studio-webgpu',
      adapter: e.adapterName,
      features: e.features,
      date: new Date().toISOString(),
      options: { ...opts, out: undefined },
      // What the frozen weights (v, o, MLP) were stored in: --frozen, or the adapter's default.
      frozenDType,
      results,
    };
    const json = JSON.stringify(doc, null, 2);
    io.stdout(json);
    if (opts.out) writeFileSync(opts.out, json + '\n');
  },
};
