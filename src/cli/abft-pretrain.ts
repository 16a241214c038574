/**
 * `abft pretrain --config FILE.json --out DIR`: a model from random weights (the seed), pretrained
 * on the classroom corpus with the engine's full-model training (pretrain/step.ts), written as an
 * HF folder every other command and the app load, with pretrain-log.json beside it. Set-up (the
 * config, the folder, the model) is checked first and any problem there is bad input (exit 2);
 * then one JSON line per logged step and per ICL evaluation (pretrain/icl-eval.ts). The folder is
 * rewritten whole, file by file (atomic-file.ts), at each checkpoint and at the end.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { corpusChunk, type CorpusOptions } from '../classroom/corpus';
import { familyById, HELD_OUT_FAMILIES, TRAIN_FAMILIES } from '../classroom/families';
import { IDS } from '../classroom/vocabulary';
import type { Engine } from '../engine/engine';
import { openCheckpoint, type Checkpoint } from '../model/checkpoint';
import { exportFineTuned } from '../model/export';
import { memoryFolder } from '../model/files';
import { loadModel, releaseModel, type LoadedModel } from '../model/load';
import { parsePretrainConfig, type PretrainConfig } from '../pretrain/config';
import { measureIcl, withoutPadding, type IclMeasure } from '../pretrain/icl-eval';
import { initialModelFiles } from '../pretrain/initial-model';
import { scoredPositions } from '../pretrain/scored-positions';
import { Pretrainer } from '../pretrain/step';
import { UsageError, type ParsedArgs } from './abft-args';
import type { CliIo } from './abft-io';
import { removeLeftoverPartials, writeFileAtomic } from './atomic-file';
import { readJsonFile } from './json-input';

/** Consecutive steps with a non-finite gradient after which the run stops: it has diverged. */
const MAX_SKIPPED_IN_A_ROW = 5;

export async function readConfig(path: string): Promise<PretrainConfig> {
  let json: unknown;
  try {
    json = await readJsonFile(path);
  } catch (error) {
    throw new UsageError(`--config ${(error as Error).message}`);
  }
  try {
    return parsePretrainConfig(json, path);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

interface PretrainSession {
  readonly e: Engine;
  readonly config: PretrainConfig;
  readonly configPath: string;
  readonly out: string;
  readonly files: Record<string, Uint8Array | string>;
  readonly model: LoadedModel;
  readonly checkpoint: Checkpoint;
}

async function prepare(args: ParsedArgs, io: CliIo): Promise<PretrainSession> {
  const configPath = args.values.get('config')!;
  const config = await readConfig(configPath);
  const out = args.values.get('out')!;
  try {
    await mkdir(out, { recursive: true });
    await removeLeftoverPartials(out);
  } catch (error) {
    throw new UsageError(`--out ${out} cannot be created (${(error as NodeJS.ErrnoException).code}); pick a folder you can write to`);
  }
  const files = initialModelFiles(config);
  const folder = memoryFolder(`initial weights of ${configPath}`, files);
  const e = await io.engine();
  let model: LoadedModel;
  try {
    model = await loadModel(e, folder, { frozenDType: 'f32' });
  } catch (error) {
    throw new UsageError(`${configPath}: the model it describes cannot be made here: ${(error as Error).message}`);
  }
  return { e, config, configPath, out, files, model, checkpoint: await openCheckpoint(folder) };
}

/** Held-out families (in-context learning of tasks never trained on) and train families, on the evaluation seed. */
async function evaluate(s: PretrainSession): Promise<{ heldOut: IclMeasure; train: IclMeasure }> {
  const { e, config, model } = s;
  const measure = (families: CorpusOptions['families']) =>
    measureIcl(e, model.spec, model.weights, { seed: config.eval.seed, length: config.corpus.length, families }, config.eval.sequences, config.batch.microBatch);
  return { heldOut: await measure(HELD_OUT_FAMILIES), train: await measure(TRAIN_FAMILIES) };
}

function rounded(m: IclMeasure): Record<string, unknown> {
  const r = (v: number) => Math.round(v * 1e4) / 1e4;
  const part = (a: IclMeasure['recoverable']) => ({ accuracy: r(a.accuracy), labelLoss: r(a.labelLoss), correct: a.correct, total: a.total });
  return { recoverable: part(m.recoverable), unseen: part(m.unseen), copyBaseline: r(m.copyBaseline), sequences: m.sequences };
}

export async function pretrainCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  let s: PretrainSession;
  try {
    s = await prepare(args, io);
  } catch (error) {
    io.stderr(`abft: ${(error as Error).message}`);
    return 2;
  }
  const { e, config, model, out } = s;
  const o = config.optimizer;
  const trainer = new Pretrainer(e, model.spec, model.weights, {
    optimizer: {
      schedule: { peakLr: o.lr, warmupSteps: o.warmupSteps, totalSteps: config.steps, minLr: o.minLr },
      beta1: o.beta1,
      beta2: o.beta2,
      eps: 1e-8,
      weightDecay: o.weightDecay,
      maxGradNorm: o.clip > 0 ? o.clip : undefined,
    },
    microBatch: config.batch.microBatch,
    padId: IDS.pad,
  });
  const corpus: CorpusOptions = { seed: config.corpus.seed, length: config.corpus.length, families: config.corpus.families.map(familyById) };
  const started = performance.now();
  const losses: number[] = [];
  const logged: Record<string, unknown>[] = [];
  const evals: Record<string, unknown>[] = [];
  let tokensSeen = 0;
  let drawn = 0;
  let skippedInARow = 0;
  let stopped: string | null = null;

  const runEval = async (step: number) => {
    const { heldOut, train } = await evaluate(s);
    const line = { step, tokens: tokensSeen, eval: { heldOut: rounded(heldOut), train: rounded(train) } };
    evals.push(line);
    io.stdout(JSON.stringify(line));
  };
  const writeFolder = async () => {
    const done = trainer.stepCount;
    const log = {
      tool: 'abft pretrain',
      configFile: s.configPath,
      config,
      adapter: e.adapterName,
      parameters: model.parameters,
      stepsDone: done,
      tokensSeen,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      stoppedEarly: stopped,
      losses,
      log: logged,
      evals,
    };
    const metadata = { 'abft.pretrained': `classroom corpus seed ${config.corpus.seed}, ${done} steps, ${tokensSeen} tokens, init seed ${config.seed}` };
    const weights = await exportFineTuned(e, model.spec, model.weights, s.checkpoint, metadata, { weights: 'all' });
    for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) await writeFileAtomic(join(out, name), s.files[name]);
    await writeFileAtomic(join(out, 'model.safetensors'), weights);
    await writeFileAtomic(join(out, 'pretrain-log.json'), JSON.stringify(log, null, 2));
  };

  try {
    if (config.eval.every > 0) await runEval(0);
    while (trainer.stepCount < config.steps) {
      // Each attempt draws new sequences: a skipped step's batch is not retried.
      const chunk = corpusChunk(corpus, drawn, config.batch.sequences);
      drawn += config.batch.sequences;
      const sequences = Array.from({ length: chunk.count }, (_, i) => withoutPadding(chunk.tokens.subarray(i * chunk.length, (i + 1) * chunk.length)));
      const scored = config.loss.otherTokens < 1 ? sequences.map((_, i) => scoredPositions(chunk, i, config.loss.otherTokens, config.corpus.seed, drawn - chunk.count + i)) : undefined;
      const t0 = performance.now();
      const r = await trainer.step(sequences, scored);
      const ms = performance.now() - t0;
      if (r.skipped) {
        skippedInARow++;
        io.stdout(JSON.stringify({ step: trainer.stepCount + 1, skipped: true, loss: r.loss }));
        if (skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
          stopped = `${MAX_SKIPPED_IN_A_ROW} steps in a row had a non-finite gradient after step ${trainer.stepCount}; the run diverged. Lower optimizer.lr or keep optimizer.clip on.`;
          io.stderr(`abft: ${stopped}`);
          break;
        }
        continue;
      }
      skippedInARow = 0;
      tokensSeen += r.tokens;
      losses.push(r.loss);
      const step = trainer.stepCount;
      const last = step === config.steps;
      if (step % config.logEvery === 0 || last) {
        const line = { step, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm, tokens: tokensSeen, ms: Math.round(ms * 10) / 10 };
        logged.push(line);
        io.stdout(JSON.stringify(line));
      }
      if ((config.eval.every > 0 && step % config.eval.every === 0) || (last && (config.eval.every === 0 || step % config.eval.every !== 0))) await runEval(step);
      if (config.checkpointEvery > 0 && step % config.checkpointEvery === 0 && !last) await writeFolder();
    }
    await writeFolder();
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    io.stdout(JSON.stringify({ done: true, stepsDone: trainer.stepCount, tokensSeen, seconds, stoppedEarly: stopped, out, final: evals.at(-1)?.eval ?? null }));
    return stopped ? 3 : 0;
  } finally {
    trainer.release();
    releaseModel(model);
  }
}
