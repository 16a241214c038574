/**
 * Times the three steps a user waits for, on a model of a published configuration with random
 * weights: the ABFT training step (forward to the last layer's attention, loss, backward to W_Q/W_K,
 * Adam: Trainer.step), evaluation (the label-word logits at the last position: abft/evaluate's
 * predict, every micro-batch recorded before the logits are read back) and the end-to-end baseline
 * step. Each runs `warmup` times, then `reps` times timed, then once more profiled per kernel.
 */
import { predict } from '../abft/evaluate';
import type { Engine, EngineActivity } from '../engine/engine';
import type { KernelTiming } from '../engine/profiler';
import { parseModelConfig } from '../model/config';
import { KNOWN_CONFIGS } from '../model/known-configs';
import { releaseModel, type LoadedModel } from '../model/load';
import { checkFitsAdapter, countParameters, trainableQkParameters, type FrozenDType } from '../model/memory';
import { randomModelWeights } from '../model/testing/random-weights';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../train/options';
import { Trainer } from '../train/trainer';
import { executedWork, type ExecutedWork } from './executed';
import { stepFlops, type BenchTask, type StepFlops } from './flops';
import type { BenchOptions } from './options';
import { BENCH_LABELS, benchPrompts } from './prompts';
import { summarize, type TimingSummary } from './stats';

export interface BenchShapes {
  readonly pseudoBatch: number;
  /** Prompts per GPU pass actually used (the trainer lowers the requested one where activations would not fit). */
  readonly microBatch: number;
  readonly tokensPerPrompt: number;
  readonly tokensPerStep: number;
}

export interface BenchMemory {
  /** Most bytes of live tensors at once during the timed steps (PyTorch: max_memory_allocated). */
  readonly peakBytes: number;
  /** Most bytes of GPU buffers held, the pool's free ones included (PyTorch: max_memory_reserved). */
  readonly peakReservedBytes: number;
  /** Live bytes between steps: weights, and for training the gradients and Adam's moments. */
  readonly steadyBytes: number;
  readonly weightBytes: number;
  readonly trainableParameters: number;
  /** Adam's two f32 moments of the trainable parameters (0 for evaluation). */
  readonly optimizerStateBytes: number;
}

export interface KernelShare extends KernelTiming {
  /** Of the profiled step's summed kernel time. */
  readonly share: number;
}

export interface TaskResult {
  readonly model: string;
  readonly task: BenchTask;
  readonly shapes: BenchShapes;
  readonly msPerStep: TimingSummary;
  readonly tokensPerSecond: number;
  readonly flopsPerStep: StepFlops;
  /** flopsPerStep.total at the median time. */
  readonly tflops: number;
  readonly memory: BenchMemory;
  /** Per kernel over one profiled step, longest first; totalMs is NaN without timestamp-query. */
  readonly kernels: readonly KernelShare[] | null;
  /** Summed GPU time of the profiled step's kernels; against msPerStep it shows how busy the GPU was. */
  readonly kernelMsPerStep: number | null;
  /** Launches and matmul FLOPs of the profiled step (against flopsPerStep: work done but not needed). */
  readonly executed: ExecutedWork | null;
  /** Per timed step: command buffers submitted and times the host waited for the GPU (readbacks, syncs). */
  readonly submitsPerStep: number;
  readonly hostWaitsPerStep: number;
}

export interface SkippedTask {
  readonly model: string;
  readonly task: BenchTask | 'all';
  readonly skipped: string;
}

/** Writes progress to stderr, so stdout stays one JSON document. */
export type BenchLog = (line: string) => void;

/** The frozen weights' storage: `--frozen`, else f16 where the adapter has shader-f16 (as the app), else f32. */
export function benchFrozenDType(e: Engine, opts: BenchOptions): FrozenDType {
  if (opts.frozen === 'f16' && !e.features.shaderF16) throw new Error(`--frozen f16: this adapter (${e.adapterName}) lacks shader-f16`);
  return opts.frozen ?? (e.features.shaderF16 ? 'f16' : 'f32');
}

/** `config`: a config.json's fields, by default the published one of `name` (tests give tiny ones). */
export async function benchModel(e: Engine, name: string, opts: BenchOptions, log: BenchLog, config = KNOWN_CONFIGS[name]): Promise<(TaskResult | SkippedTask)[]> {
  const spec = parseModelConfig(config, name);
  const frozen = benchFrozenDType(e, opts);
  try {
    checkFitsAdapter(spec, e.limits, frozen);
  } catch (error) {
    return [{ model: name, task: 'all', skipped: (error as Error).message }];
  }
  const before = e.memory().inUseBytes;
  const weights = randomModelWeights(e, spec, 0, frozen);
  await e.sync();
  const weightBytes = e.memory().inUseBytes - before;
  const model: LoadedModel = { label: name, spec, weights, tokenizer: null, parameters: countParameters(spec), gpuBytes: weightBytes, warnings: [] };
  const prompts = benchPrompts(opts.pseudoBatch, opts.tokens, spec.vocabSize);
  const results: (TaskResult | SkippedTask)[] = [];
  try {
    for (const task of opts.tasks) {
      log(`${name} ${task}: ${opts.pseudoBatch} prompts x ${opts.tokens} tokens, ${opts.warmup} warm-up + ${opts.reps} timed`);
      try {
        results.push(await benchTask(e, model, task, prompts, opts, weightBytes, log));
      } catch (error) {
        results.push({ model: name, task, skipped: (error as Error).message });
      }
      e.trimMemory();
    }
  } finally {
    releaseModel(model);
    e.trimMemory();
  }
  return results;
}

async function benchTask(
  e: Engine,
  model: LoadedModel,
  task: BenchTask,
  prompts: ReturnType<typeof benchPrompts>,
  opts: BenchOptions,
  weightBytes: number,
  log: BenchLog,
): Promise<TaskResult> {
  const { spec } = model;
  let run: () => Promise<number>;
  let microBatch = Math.min(opts.microBatch, opts.pseudoBatch);
  let trainer: Trainer | null = null;
  if (task === 'eval') {
    run = async () => {
      const started = performance.now();
      await predict(e, model, prompts, BENCH_LABELS, { microBatch });
      return performance.now() - started;
    };
  } else {
    const options: TrainOptions = {
      ...DEFAULT_TRAIN_OPTIONS,
      objective: task === 'abft' ? 'abft' : 'end-to-end',
      labelScoring: BENCH_LABELS.scoring,
      pseudoBatch: opts.pseudoBatch,
      microBatch: opts.microBatch,
      ...(opts.activationBudgetMiB !== null && { activationBudgetBytes: opts.activationBudgetMiB * 2 ** 20 }),
    };
    const t = new Trainer(e, model, prompts, options, BENCH_LABELS);
    trainer = t;
    microBatch = t.microBatch;
    run = async () => (await t.step()).ms;
  }
  try {
    const measured = await measure(e, run, opts, (i, ms) => log(`  ${model.label} ${task} run ${i}: ${ms.toFixed(0)} ms`));
    const msPerStep = summarize(measured.ms);
    const tokensPerStep = opts.pseudoBatch * opts.tokens;
    const flopsPerStep = stepFlops(spec, task, { prompts: opts.pseudoBatch, tokens: opts.tokens, labelWords: BENCH_LABELS.tokens.length });
    const trainable = task === 'eval' ? 0 : trainableQkParameters(spec);
    const kernelMs = measured.kernels ? measured.kernels.reduce((s, k) => s + k.totalMs, 0) : null;
    return {
      model: model.label,
      task,
      shapes: { pseudoBatch: opts.pseudoBatch, microBatch, tokensPerPrompt: opts.tokens, tokensPerStep },
      msPerStep,
      tokensPerSecond: tokensPerStep / (msPerStep.median / 1000),
      flopsPerStep,
      tflops: flopsPerStep.total / (msPerStep.median / 1000) / 1e12,
      memory: { ...measured.memory, weightBytes, trainableParameters: trainable, optimizerStateBytes: 2 * 4 * trainable },
      kernels: measured.kernels?.map((k) => ({ ...k, share: kernelMs ? k.totalMs / kernelMs : NaN })) ?? null,
      kernelMsPerStep: kernelMs,
      executed: measured.kernels ? executedWork(measured.kernels) : null,
      submitsPerStep: measured.activity.submits / opts.reps,
      hostWaitsPerStep: measured.activity.hostWaits / opts.reps,
    };
  } finally {
    trainer?.release();
  }
}

interface Measured {
  readonly ms: number[];
  readonly memory: Pick<BenchMemory, 'peakBytes' | 'peakReservedBytes' | 'steadyBytes'>;
  readonly kernels: KernelTiming[] | null;
  /** Over all timed runs. */
  readonly activity: EngineActivity;
}

/**
 * Warm-up runs, then the timed runs with the peak memory measured over them, then one more run
 * profiled per kernel. Not a warm-up run: a software adapter (lavapipe) compiles a shader when its
 * first dispatch executes, which GPU timestamps would count as kernel time.
 */
async function measure(e: Engine, run: () => Promise<number>, opts: BenchOptions, log: (i: number, ms: number) => void): Promise<Measured> {
  for (let i = 0; i < opts.warmup; i++) await run();
  await e.sync();
  e.resetPeakMemory();
  const ms: number[] = [];
  const start = e.activity();
  for (let i = 0; i < opts.reps; i++) {
    ms.push(await run());
    log(i + 1, ms[i]);
  }
  const end = e.activity();
  const activity = { submits: end.submits - start.submits, hostWaits: end.hostWaits - start.hostWaits };
  await e.sync();
  const stats = e.memory();
  const memory = { peakBytes: stats.peakInUseBytes, peakReservedBytes: stats.peakAllocatedBytes, steadyBytes: stats.inUseBytes };
  let kernels: KernelTiming[] | null = null;
  if (opts.profile) {
    e.startProfiling();
    await run();
    kernels = await e.stopProfiling();
  }
  return { ms, memory, kernels, activity };
}
