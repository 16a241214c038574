/**
 * `node dist-node/bench-step.mjs`: times the ABFT training step (forward to the last layer's
 * attention, loss, backward to W_Q/W_K, Adam), the evaluation forward (label-word logits only) and
 * the end-to-end baseline step on the published configurations with random weights, and prints one
 * JSON document.
 *
 * Options: --models SmolLM2-135M,gpt2-124M  --pseudo-batch 32  --micro-batch 8  --tokens 128  --reps 3
 *          --skip-end-to-end
 */
import type { PreparedPrompt } from '../abft/prepared';
import { Engine } from '../engine/engine';
import { nodeGpu } from '../engine/node-gpu';
import { rng } from '../engine/random';
import { lastTokenRows, packBatch } from '../model/batch';
import { parseModelConfig } from '../model/config';
import { forward } from '../model/forward';
import { KNOWN_CONFIGS } from '../model/known-configs';
import { releaseModel, type LoadedModel } from '../model/load';
import { checkFitsAdapter, countParameters } from '../model/memory';
import { randomModelWeights } from '../model/testing/random-weights';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../train/options';
import { Trainer } from '../train/trainer';
import { runCli } from './run';

const K = 4;
const CLASSES = 2;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** SST-2-like prompts: `tokens` random ids each, k label positions spread over the demonstrations. */
function syntheticPrompts(count: number, tokens: number, vocab: number, seed: number): PreparedPrompt[] {
  const random = rng(seed);
  return Array.from({ length: count }, () => {
    const n = tokens - Math.floor(random() * (tokens / 4));
    const ids = Array.from({ length: n }, () => Math.floor(random() * vocab));
    const labels = Array.from({ length: K }, (_, i) => Math.floor(((i + 1) * (n - 8)) / (K + 1)));
    const demonstrationLabels = labels.map(() => Math.floor(random() * CLASSES));
    const gold = Math.floor(random() * CLASSES);
    return {
      ids,
      plus: labels.filter((_, i) => demonstrationLabels[i] === gold),
      minus: labels.filter((_, i) => demonstrationLabels[i] !== gold),
      gold,
      demonstrationLabels,
    };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeSteps(trainer: Trainer, reps: number): Promise<{ ms: number[]; tokensPerSecond: number }> {
  await trainer.step();
  const ms: number[] = [];
  let tps = 0;
  for (let i = 0; i < reps; i++) {
    const m = await trainer.step();
    ms.push(m.ms);
    tps = m.tokensPerSecond;
  }
  return { ms, tokensPerSecond: tps };
}

async function benchModel(e: Engine, name: string, opts: { pseudoBatch: number; microBatch: number; tokens: number; reps: number; endToEnd: boolean }) {
  const spec = parseModelConfig(KNOWN_CONFIGS[name], name);
  try {
    checkFitsAdapter(spec, e.limits, 'f32');
  } catch (error) {
    return { model: name, skipped: (error as Error).message };
  }
  const baseBytes = e.memory().allocatedBytes;
  const weights = randomModelWeights(e, spec);
  const model: LoadedModel = { label: name, spec, weights, tokenizer: null, parameters: countParameters(spec), gpuBytes: e.memory().allocatedBytes - baseBytes, warnings: [] };
  const prompts = syntheticPrompts(opts.pseudoBatch * 2, opts.tokens, spec.vocabSize, 1);
  const labelTokenIds = [11, 12];
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, pseudoBatch: opts.pseudoBatch, microBatch: opts.microBatch };

  e.resetPeakMemory();
  const abft = new Trainer(e, model, prompts, options, labelTokenIds);
  const abftTimes = await timeSteps(abft, opts.reps);
  const abftPeak = e.memory().peakAllocatedBytes;
  abft.release();

  const evalMs: number[] = [];
  for (let r = 0; r < opts.reps + 1; r++) {
    const started = performance.now();
    for (let s = 0; s < opts.pseudoBatch; s += opts.microBatch) {
      const batch = packBatch(prompts.slice(s, s + opts.microBatch).map((p) => p.ids), 0);
      const { logits } = forward(e, spec, weights, batch, { logits: { rows: lastTokenRows(batch), vocab: Int32Array.from(labelTokenIds) } });
      await e.read(logits!);
      logits!.release();
    }
    if (r > 0) evalMs.push(performance.now() - started);
  }

  let endToEnd: { msMedian: number; ms: number[] } | null = null;
  if (opts.endToEnd) {
    const e2e = new Trainer(e, model, prompts, { ...options, objective: 'end-to-end' }, labelTokenIds);
    const t = await timeSteps(e2e, opts.reps);
    endToEnd = { msMedian: median(t.ms), ms: t.ms };
    e2e.release();
  }
  releaseModel(model);
  const tokens = prompts.slice(0, opts.pseudoBatch).reduce((s, p) => s + p.ids.length, 0);
  return {
    model: name,
    parameters: model.parameters,
    weightBytes: model.gpuBytes,
    shapes: { pseudoBatch: opts.pseudoBatch, microBatch: opts.microBatch, tokensPerPrompt: opts.tokens, tokensPerPseudoBatch: tokens },
    abftStep: { msMedian: median(abftTimes.ms), ms: abftTimes.ms, tokensPerSecond: abftTimes.tokensPerSecond, peakGpuBytes: abftPeak },
    evaluationForward: { msMedian: median(evalMs), ms: evalMs },
    endToEndStep: endToEnd,
  };
}

runCli(async () => {
  const e = await Engine.create(await nodeGpu());
  const names = option('--models', 'SmolLM2-135M,gpt2-124M').split(',');
  for (const n of names) if (!(n in KNOWN_CONFIGS)) throw new Error(`--models: unknown model ${n}; known: ${Object.keys(KNOWN_CONFIGS).join(', ')}`);
  const opts = {
    pseudoBatch: Number(option('--pseudo-batch', '32')),
    microBatch: Number(option('--micro-batch', '8')),
    tokens: Number(option('--tokens', '128')),
    reps: Number(option('--reps', '3')),
    endToEnd: !process.argv.includes('--skip-end-to-end'),
  };
  const results = [];
  for (const name of names) results.push(await benchModel(e, name, opts));
  console.log(JSON.stringify({ adapter: e.adapterName, features: e.features, date: new Date().toISOString(), results }, null, 2));
  e.destroy();
});
