/**
 * `abft export --onnx`: the model (with a training run's weights applied, from --checkpoint) as an
 * ONNX folder that transformers.js loads, written to --out, then run in onnxruntime-web (wasm) on
 * test prompts and compared with the engine, as the app's Verify button does.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { preparePrompts } from '../abft/prepared';
import { labelTargets } from '../abft/label-scoring';
import { buildTestSet } from '../abft/sampling';
import type { Engine } from '../engine/engine';
import { memoryFile } from '../model/files';
import { readSafetensorsHeader, readTensorF32 } from '../model/safetensors';
import type { OnnxExport } from '../onnx/export';
import { ONNX_DATA_NAME, ONNX_MODEL_PATH } from '../onnx/folder';
import { openOnnxSession } from '../onnx/session';
import { verifyAgainstEngine, type VerifyReport } from '../onnx/verify';
import { exportRunOnnx, trainedMetadata } from '../session/export';
import { readTrainingStateInfo, type TrainingStateInfo } from '../train/checkpoint';
import { labelScoringOption, numberOption, UsageError, type ParsedArgs } from './abft-args';
import { loadRunData } from './abft-data';
import type { CliIo } from './abft-io';
import { describeModel, loadRunModel, type RunModel } from './abft-model';

/** Prompts run one at a time through onnxruntime-web's wasm backend: a handful is a check, not an evaluation. */
const DEFAULT_VERIFY_PROMPTS = 8;

/** Exit code when the folder was written but does not compute what the engine computes. */
export const VERIFY_FAILED = 4;

const TRAINED = /^weight\/layers\.(\d+)\.([qkvo])\.(weight|bias)$/;

/** Writes a training checkpoint's weights over the loaded model's; returns what it says of its run. */
async function applyTrainingCheckpoint(e: Engine, run: RunModel, path: string): Promise<TrainingStateInfo> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(`--checkpoint ${path} cannot be read (${(error as NodeJS.ErrnoException).code}); pass the checkpoint.safetensors of a training run`);
  }
  let info;
  try {
    info = await readTrainingStateInfo(bytes);
  } catch (error) {
    throw new UsageError(`--checkpoint ${path}: ${(error as Error).message}`);
  }
  if (info.modelLabel !== run.identity) {
    throw new UsageError(`--checkpoint ${path} was trained on model ${info.modelLabel}, but --model ${run.folder.label} is ${run.identity}; pass the base model the run trained`);
  }
  const header = await readSafetensorsHeader(memoryFile(path, bytes));
  for (const name of header.tensors.keys()) {
    if (!name.startsWith('weight/')) continue;
    const match = TRAINED.exec(name);
    const layer = match ? run.model.weights.layers[Number(match[1])] : undefined;
    const linear = match && layer ? layer[match[2] as 'q' | 'k' | 'v' | 'o'] : undefined;
    const tensor = match?.[3] === 'bias' ? linear?.bias : linear?.weight;
    const values = await readTensorF32(header, name);
    if (!tensor || tensor.size !== values.length) {
      throw new UsageError(`--checkpoint ${path} has ${name} with ${values.length} values, which this model has no place for; it is from another model`);
    }
    e.write(tensor, values);
  }
  return info;
}

async function writeFolder(exported: OnnxExport, out: string): Promise<void> {
  for (const file of exported.files) {
    const path = join(out, file.path);
    await mkdir(dirname(path), { recursive: true });
    // One weight at a time into the file, so the data file is never one buffer.
    await writeFile(path, file.chunks());
  }
}

/** The written folder run in onnxruntime-web against the engine on the data's first test queries. */
async function verifyFolder(e: Engine, run: RunModel, args: ParsedArgs, out: string, external: boolean, io: CliIo): Promise<VerifyReport | null> {
  const count = numberOption(args, 'queries', DEFAULT_VERIFY_PROMPTS, 'count');
  if (count === 0) return null;
  const values = new Map(args.values);
  values.set('data', values.get('data') ?? 'synthetic');
  values.set('queries', String(count));
  const data = await loadRunData({ command: args.command, values }, (line) => io.stderr(line));
  const k = numberOption(args, 'k', 4, 'int');
  const seed = numberOption(args, 'seed', 0, 'int');
  const draws = buildTestSet(data.queries, data.demoPool, 1, k, seed);
  const prompts = preparePrompts(run.tokenizer, data.template, draws, { maxPositions: run.model.spec.maxPositions, what: 'test prompt' });
  const labels = labelTargets(run.tokenizer, data.template, labelScoringOption(args));
  // Loaded only here: the bundled CLI keeps onnxruntime-web (and its wasm files) in node_modules.
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const model = await readFile(join(out, ONNX_MODEL_PATH));
  const externalData = external ? { path: ONNX_DATA_NAME, data: await readFile(join(out, 'onnx', ONNX_DATA_NAME)) } : undefined;
  const { session } = await openOnnxSession(ort, { model, externalData }, ['wasm']);
  try {
    return await verifyAgainstEngine(e, run.model.spec, run.model.weights, ort, session, prompts, labels);
  } finally {
    await session.release();
  }
}

function bytesOption(args: ParsedArgs, name: string): number | undefined {
  return args.values.has(name) ? numberOption(args, name, 0, 'count') : undefined;
}

/** Resolves to the exit code: 0, or VERIFY_FAILED. Every thrown error is bad input. */
export async function exportCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const out = args.values.get('out')!;
  const limits = { externalDataThreshold: bytesOption(args, 'external-data-above'), maxWeightBytes: bytesOption(args, 'max-weight-bytes') };
  const e = await io.engine();
  const run = await loadRunModel(e, args);
  try {
    const checkpoint = args.values.get('checkpoint');
    const trained = checkpoint ? await applyTrainingCheckpoint(e, run, checkpoint) : null;
    const metadata = trainedMetadata(run.identity, trained && { options: trained.options, steps: trained.stepsDone });
    const exported = await exportRunOnnx(e, run.model, run.checkpoint, run.folder, metadata, limits);
    try {
      await mkdir(out, { recursive: true });
    } catch (error) {
      throw new UsageError(`--out ${out} cannot be created (${(error as NodeJS.ErrnoException).code}); pick a folder you can write to`);
    }
    await writeFolder(exported, out);
    const verify = await verifyFolder(e, run, args, out, exported.external, io);
    io.stdout(
      JSON.stringify(
        {
          tool: 'abft export',
          model: describeModel(run),
          checkpoint: checkpoint ?? null,
          out,
          files: exported.files.map((f) => ({ path: f.path, bytes: f.size })),
          weightBytes: exported.weightBytes,
          externalData: exported.external,
          verify,
        },
        null,
        2,
      ),
    );
    if (verify && !verify.passed) {
      io.stderr(`abft: the export in ${out} does not match the engine: max relative logit difference ${verify.maxRelDiff.toExponential(2)} (tolerance ${verify.tolerance}), ${verify.realDisagreements} label predictions differ`);
      return VERIFY_FAILED;
    }
    return 0;
  } finally {
    run.release();
  }
}
