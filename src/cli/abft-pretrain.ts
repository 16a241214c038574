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
import type { Engine } from '../engine/engine';
import { memoryFolder } from '../model/files';
import { loadModel, releaseModel, type LoadedModel } from '../model/load';
import { parsePretrainConfig, type PretrainConfig } from '../pretrain/config';
import { measureIclSplits, type IclMeasure } from '../pretrain/icl-eval';
import { initialModelFiles } from '../pretrain/initial-model';
import { evalDue, PretrainLoop } from '../pretrain/loop';
import { pretrainedFiles } from '../pretrain/pretrained-files';
import { UsageError, type ParsedArgs } from './abft-args';
import type { CliIo } from './abft-io';
import { removeLeftoverPartials, writeFileAtomic } from './atomic-file';
import { readJsonFile } from './json-input';

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
  return { e, config, configPath, out, files, model };
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
  const loop = new PretrainLoop(e, model, config);
  const started = performance.now();
  const losses: number[] = [];
  const logged: Record<string, unknown>[] = [];
  const evals: Record<string, unknown>[] = [];
  let stopped: string | null = null;

  const runEval = async (step: number) => {
    const { heldOut, train } = await measureIclSplits(e, model, config);
    const line = { step, tokens: loop.tokensSeen, eval: { heldOut: rounded(heldOut), train: rounded(train) } };
    evals.push(line);
    io.stdout(JSON.stringify(line));
  };
  const writeFolder = async (dir: string) => {
    const progress = { stepsDone: loop.stepsDone, tokensSeen: loop.tokensSeen };
    const log = {
      tool: 'abft pretrain',
      configFile: s.configPath,
      config,
      adapter: e.adapterName,
      parameters: model.parameters,
      ...progress,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      stoppedEarly: stopped,
      losses,
      log: logged,
      evals,
    };
    const files = await pretrainedFiles(e, model, config, s.files, progress);
    await mkdir(dir, { recursive: true });
    for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']) await writeFileAtomic(join(dir, name), files[name]);
    await writeFileAtomic(join(dir, 'pretrain-log.json'), JSON.stringify(log, null, 2));
  };

  try {
    if (config.eval.every > 0) await runEval(0);
    while (!loop.finished) {
      const attempt = await loop.attempt();
      if (attempt.kind === 'skipped') {
        io.stdout(JSON.stringify({ step: attempt.step, skipped: true, loss: attempt.loss }));
        if (attempt.diverged) {
          stopped = attempt.diverged;
          io.stderr(`abft: ${stopped}`);
          break;
        }
        continue;
      }
      const { step, result: r, tokensSeen, ms } = attempt;
      losses.push(r.loss);
      const last = step === config.steps;
      if (step % config.logEvery === 0 || last) {
        const line = {
          step,
          loss: r.loss,
          ...(r.attentionLoss.length > 0 && { attentionLoss: r.attentionLoss }),
          lr: r.lr,
          gradNorm: r.gradNorm,
          tokens: tokensSeen,
          ms: Math.round(ms * 10) / 10,
        };
        logged.push(line);
        io.stdout(JSON.stringify(line));
      }
      if (evalDue(config, step)) await runEval(step);
      if (config.checkpointEvery > 0 && step % config.checkpointEvery === 0 && !last) {
        await writeFolder(out);
        if (config.keepCheckpoints) await writeFolder(`${out}-step-${step}`);
      }
    }
    await writeFolder(out);
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    io.stdout(JSON.stringify({ done: true, stepsDone: loop.stepsDone, tokensSeen: loop.tokensSeen, seconds, stoppedEarly: stopped, out, final: evals.at(-1)?.eval ?? null }));
    return stopped ? 3 : 0;
  } finally {
    loop.release();
    releaseModel(model);
  }
}
