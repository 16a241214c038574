/**
 * `abft train`: set up (data, model, prompts, resume; every problem found here is bad input), then
 * train with one JSON line per step and write report.json, checkpoint.safetensors and the
 * fine-tuned model into --out, each replaced whole (atomic-file.ts), so a kill keeps the previous
 * one. A non-finite loss stops training with the last good weights, and the
 * outputs are still written.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HeadSummary } from '../abft/loss';
import { compareReports, type SuiteReport } from '../abft/suite';
import type { Engine } from '../engine/engine';
import { exportRun, trainedMetadata } from '../session/export';
import { createRun, restoreRun, saveRun, trainRun, type Run } from '../session/run';
import { readTrainingStateInfo, type TrainingStateInfo } from '../train/checkpoint';
import { deltaNorms, WeightSnapshot } from '../train/delta-norms';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../train/options';
import { describeRun, explainNonFinite } from '../train/non-finite';
import type { StepMetrics } from '../train/trainer';
import { numberOption, trainOptions, UsageError, type ParsedArgs } from './abft-args';
import { describeSplit, loadRunData, type RunData } from './abft-data';
import { describeModel, loadRunModel, runEvaluation, type RunModel } from './abft-model';
import type { CliIo } from './abft-io';
import { removeLeftoverPartials, writeFileAtomic } from './atomic-file';

export interface TrainingSession {
  readonly e: Engine;
  readonly args: ParsedArgs;
  readonly data: RunData;
  readonly run: RunModel;
  readonly options: TrainOptions;
  readonly trainPrompts: number;
  /** The prompts, trainer and data fingerprint, set up as the app's worker sets up its runs. */
  readonly training: Run;
  readonly snapshot: WeightSnapshot;
  readonly before: SuiteReport | null;
  readonly resumedFrom: number | null;
  /** The training that made the weights this run starts from, in words; null when they are the base model's. */
  readonly startWeights: string | null;
  readonly out: string | null;
  readonly checkpointEvery: number;
}

async function readResume(path: string): Promise<{ bytes: Uint8Array; info: TrainingStateInfo }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(`--resume ${path} cannot be read (${(error as NodeJS.ErrnoException).code}); pass the checkpoint.safetensors of an earlier run`);
  }
  try {
    return { bytes, info: await readTrainingStateInfo(bytes) };
  } catch (error) {
    throw new UsageError(`--resume ${path}: ${(error as Error).message}`);
  }
}

/**
 * Who made the weights a run starts from: a resumed checkpoint's run, or the training that
 * exported --model (its model.safetensors metadata says so); null for a base model.
 */
function startWeights(args: ParsedArgs, run: RunModel, resume: { info: TrainingStateInfo } | null): string | null {
  if (resume) return `${describeRun(resume.info.options, resume.info.stepsDone, null)} saved in --resume ${args.values.get('resume')}`;
  const meta = run.checkpoint.files[0]?.metadata ?? {};
  const steps = Number(meta['abft.steps']);
  if (!(steps > 0)) return null;
  const lr = Number(meta['abft.lr']);
  const from = `from base ${meta['abft.base']}${meta['abft.stopped'] ? '; it was stopped by a non-finite loss' : ''}`;
  if (!Number.isFinite(lr)) return `the ${steps} training steps saved in --model ${args.values.get('model')} (${from})`;
  const trained = describeRun({ objective: meta['abft.objective'] === 'end-to-end' ? 'end-to-end' : 'abft', lr }, steps, null);
  return `${trained} that wrote --model ${args.values.get('model')} (${from})`;
}

async function outputFolder(args: ParsedArgs): Promise<string | null> {
  const out = args.values.get('out');
  if (out === undefined) {
    if (args.values.has('checkpoint-every')) throw new UsageError('--checkpoint-every needs --out, the folder the checkpoint goes to');
    return null;
  }
  try {
    await mkdir(out, { recursive: true });
    await removeLeftoverPartials(out);
  } catch (error) {
    throw new UsageError(`--out ${out} cannot be created (${(error as NodeJS.ErrnoException).code}); pick a folder you can write to`);
  }
  return out;
}

/** Everything before the first step; any error here is bad input and leaves nothing on the GPU. */
export async function prepareTraining(args: ParsedArgs, io: CliIo): Promise<TrainingSession> {
  const data = await loadRunData(args, (line) => io.stderr(line));
  const out = await outputFolder(args);
  const checkpointEvery = numberOption(args, 'checkpoint-every', 0, 'count');
  const resume = args.values.has('resume') ? await readResume(args.values.get('resume')!) : null;
  const options = trainOptions(args, resume?.info.options ?? DEFAULT_TRAIN_OPTIONS);
  if (resume && resume.info.stepsDone >= options.steps) {
    throw new UsageError(`the checkpoint has ${resume.info.stepsDone} steps done and --steps is ${options.steps}; pass a larger --steps to continue`);
  }
  const trainPrompts = numberOption(args, 'train-prompts', 512, 'int');
  const e = await io.engine();
  const run = await loadRunModel(e, args);
  let training: Run | null = null;
  try {
    training = await createRun(e, run.model, {
      rows: data.trainingPool,
      template: data.template,
      options,
      promptCount: trainPrompts,
      fingerprintNote: `train-prompts ${trainPrompts}`,
    });
    // Taken from the freshly loaded base weights, before a resume overwrites them: ΔW and "before" are always against the base model.
    const snapshot = await WeightSnapshot.take(e, run.model);
    const before = data.queries.length > 0 ? await runEvaluation(e, run, data, args, options) : null;
    if (resume) {
      try {
        await restoreRun(e, training, resume.bytes, run.identity);
      } catch (error) {
        throw new UsageError(`--resume ${args.values.get('resume')}: ${(error as Error).message}`);
      }
    }
    const resumedFrom = resume?.info.stepsDone ?? null;
    return { e, args, data, run, options, trainPrompts, training, snapshot, before, resumedFrom, startWeights: startWeights(args, run, resume), out, checkpointEvery };
  } catch (error) {
    training?.trainer.release();
    run.release();
    throw error;
  }
}

/** Head-averaged last-token attention on I⁺, I⁻ and the first token, per layer (ABFT-SPEC.md §5). */
function perLayer(cells: HeadSummary[][] | null): { layer: number; plus: number; minus: number; sink: number }[] | null {
  if (!cells) return null;
  const mean = (heads: HeadSummary[], key: 'plus' | 'minus' | 'sink') => heads.reduce((s, h) => s + h[key], 0) / heads.length;
  return cells.map((heads, layer) => ({ layer, plus: mean(heads, 'plus'), minus: mean(heads, 'minus'), sink: mean(heads, 'sink') }));
}

function metricsLine(m: StepMetrics): Record<string, unknown> {
  return {
    step: m.step,
    loss: m.loss,
    punishment: m.punishment,
    passingHeads: m.passingHeads,
    gradNorm: m.gradNorm,
    ms: Math.round(m.ms * 10) / 10,
    tokensPerSecond: Math.round(m.tokensPerSecond),
    attention: perLayer(m.perLayerHead),
  };
}

/**
 * The fine-tuned model as an HF folder: model.safetensors plus every other file of the base folder
 * (config, tokenizer). Its metadata says how it was trained, so a later run on it can say where
 * its weights came from.
 */
async function writeModel(s: TrainingSession, out: string, stopped: string | null): Promise<void> {
  const metadata = trainedMetadata(s.run.identity, { options: s.options, steps: s.training.trainer.steps, stopped });
  const bytes = await exportRun(s.e, s.run.model, s.run.checkpoint, metadata);
  for (const name of s.run.folder.names()) {
    if (name.endsWith('.safetensors') || name === 'model.safetensors.index.json' || name === 'report.json') continue;
    const file = s.run.folder.get(name)!;
    await mkdir(dirname(join(out, name)), { recursive: true });
    await writeFileAtomic(join(out, name), await file.read(0, file.size));
  }
  await writeFileAtomic(join(out, 'model.safetensors'), bytes);
}

/** Trains to options.steps; returns the exit code (0, or 3 when a non-finite loss stopped it). */
export async function runTraining(s: TrainingSession, io: CliIo): Promise<number> {
  const { e, training, options, out } = s;
  const { trainer } = training;
  const steps: Record<string, unknown>[] = [];
  let stopped: string | null = null;
  const writeCheckpoint = async () => writeFileAtomic(join(out!, 'checkpoint.safetensors'), await saveRun(e, training, s.run.identity));
  try {
    const end = await trainRun(training, {
      afterStep: async (metrics) => {
        const line = metricsLine(metrics);
        steps.push(line);
        io.stdout(JSON.stringify(line));
        if (out && s.checkpointEvery > 0 && metrics.step % s.checkpointEvery === 0) await writeCheckpoint();
      },
    });
    if (end.outcome === 'non-finite') {
      stopped = explainNonFinite(end.error, {
        runSteps: trainer.steps - (s.resumedFrom ?? 0),
        lr: options.lr,
        earlier: s.startWeights,
        afterThisRun: out ? `The outputs in ${out} hold them: do not train on from them.` : null,
        afterEarlier: 'Train from the base model (or an earlier checkpoint) instead.',
      }).message;
      io.stderr(`abft: ${stopped}`);
    }
    const deltas = await deltaNorms(e, s.run.model, s.snapshot);
    const after = s.before ? await runEvaluation(e, s.run, s.data, s.args, options) : null;
    const report = {
      tool: 'abft train',
      model: describeModel(s.run),
      data: { source: s.data.source, template: s.data.template, split: describeSplit(s.data), trainPrompts: s.trainPrompts, fingerprint: training.fingerprint },
      options,
      resumedFromStep: s.resumedFrom,
      stepsDone: trainer.steps,
      stoppedEarly: stopped,
      steps,
      final: steps.at(-1) ?? null,
      deltaNorms: deltas,
      evaluation: { before: s.before, after, change: s.before && after ? compareReports(s.before, after) : null },
    };
    if (out) {
      await writeFileAtomic(join(out, 'report.json'), JSON.stringify(report, null, 2));
      await writeCheckpoint();
      await writeModel(s, out, stopped);
    }
    io.stdout(JSON.stringify({ done: true, stepsDone: trainer.steps, stoppedEarly: stopped, out, evaluation: report.evaluation.change }));
    return stopped ? 3 : 0;
  } finally {
    trainer.release();
    s.run.release();
  }
}
