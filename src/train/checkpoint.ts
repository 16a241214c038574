/**
 * Training checkpoints that resume exactly: one safetensors file holding the trained weights and
 * Adam's moments (F32, in the GPU layout), with the rest of the state as `__metadata__` strings:
 * the steps done, Adam's step, the PID state, the options, the model and a fingerprint of the data.
 * Restoring writes the same bits back, so the steps after a restore are those of an unbroken run.
 */
import { DEFAULT_LABEL_SCORING } from '../abft/label-scoring';
import type { PunishmentControllerState } from '../abft/pid';
import type { PromptTemplate } from '../abft/prompts';
import type { Row } from '../data/dataset';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { memoryFile } from '../model/files';
import { encodeSafetensors, f32Bytes, readSafetensorsHeader, readTensorF32, type SafetensorsHeader } from '../model/safetensors';
import type { TrainOptions } from './options';
import type { Trainer } from './trainer';

const FORMAT = 'abft-studio-training-state';
const VERSION = '1';

/** The checkpoint does not fit this run: another model, other data or other options. */
export class CheckpointMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointMismatchError';
  }
}

export interface TrainingStateMeta {
  /** Identifies the base model; a restore requires the same. */
  readonly modelLabel: string;
  readonly options: TrainOptions;
  readonly dataFingerprint: string;
}

export interface TrainingStateInfo extends TrainingStateMeta {
  readonly stepsDone: number;
}

/**
 * SHA-256 (hex) of the training rows in order and the template, plus anything else that decides
 * the training prompts (`extra`, e.g. how many are drawn): equal fingerprints mean equal prompts.
 */
export async function dataFingerprint(rows: readonly Row[], template: PromptTemplate, extra = ''): Promise<string> {
  const text = JSON.stringify({ template, rows: rows.map((r) => [r.text, r.label]), extra });
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function saveTrainingState(e: Engine, trainer: Trainer, meta: TrainingStateMeta): Promise<Uint8Array> {
  const tensors = [];
  for (const t of trainer.trainables()) {
    for (const [prefix, tensor] of [['weight', t.param], ['adam.m', t.m], ['adam.v', t.v]] as const) {
      tensors.push({ name: `${prefix}/${t.name}`, dtype: 'F32', shape: tensor.shape, bytes: f32Bytes(await e.read(tensor as Tensor<'f32'>)) });
    }
  }
  const state = trainer.state();
  return encodeSafetensors(tensors, {
    format: FORMAT,
    version: VERSION,
    model: meta.modelLabel,
    dataFingerprint: meta.dataFingerprint,
    options: JSON.stringify(meta.options),
    stepsDone: String(state.stepsDone),
    adamStep: String(state.adamStep),
    pid: JSON.stringify(state.pid),
  });
}

function notACheckpoint(why: string): CheckpointMismatchError {
  return new CheckpointMismatchError(`the file is not an ABFT Studio training checkpoint (${why}); pass the checkpoint.safetensors a training run wrote`);
}

async function openState(bytes: Uint8Array): Promise<{ header: SafetensorsHeader; info: TrainingStateInfo; adamStep: number; pid: PunishmentControllerState }> {
  let header: SafetensorsHeader;
  try {
    header = await readSafetensorsHeader(memoryFile('checkpoint', bytes));
  } catch (error) {
    throw notACheckpoint((error as Error).message);
  }
  const m = header.metadata;
  if (m.format !== FORMAT) throw notACheckpoint(m.format ? `its format is ${JSON.stringify(m.format)}` : 'it has no format metadata');
  if (m.version !== VERSION) throw notACheckpoint(`it is version ${m.version}; this build reads version ${VERSION}`);
  try {
    // Checkpoints from before labelScoring scored single-token label words only, which 'sequence' scores alike.
    const options = { labelScoring: DEFAULT_LABEL_SCORING, ...(JSON.parse(m.options) as Omit<TrainOptions, 'labelScoring'>) };
    const info = { modelLabel: m.model, dataFingerprint: m.dataFingerprint, options, stepsDone: Number(m.stepsDone) };
    const adamStep = Number(m.adamStep);
    if (!Number.isInteger(info.stepsDone) || !Number.isInteger(adamStep) || typeof info.modelLabel !== 'string') throw new Error('bad step counts or model');
    return { header, info, adamStep, pid: JSON.parse(m.pid) as PunishmentControllerState };
  } catch (error) {
    throw notACheckpoint(`its metadata is damaged: ${(error as Error).message}`);
  }
}

/** The checkpoint's model, data fingerprint, options and steps, without touching the GPU (to set a resumed run up). */
export async function readTrainingStateInfo(bytes: Uint8Array): Promise<TrainingStateInfo> {
  return (await openState(bytes)).info;
}

/** Options that may change on resume: how many steps in all (every other one changes the trajectory). */
const RESUMABLE_CHANGES: ReadonlySet<string> = new Set(['steps']);

/** Each option, but the number of steps, that `current` sets otherwise than `saved`, as "name: checkpoint …, this run …". */
export function optionDifferences(saved: TrainOptions, current: TrainOptions): string[] {
  const keys = new Set([...Object.keys(saved), ...Object.keys(current)]);
  return [...keys]
    .filter((k) => !RESUMABLE_CHANGES.has(k))
    .filter((k) => JSON.stringify(saved[k as keyof TrainOptions]) !== JSON.stringify(current[k as keyof TrainOptions]))
    .map((k) => `${k}: checkpoint ${JSON.stringify(saved[k as keyof TrainOptions])}, this run ${JSON.stringify(current[k as keyof TrainOptions])}`);
}

/**
 * Checks that the checkpoint belongs to this run (model, data, options, trained tensors and their
 * shapes) before anything is written, then restores weights, Adam and the PID into `trainer`.
 */
export async function restoreTrainingState(
  e: Engine,
  trainer: Trainer,
  bytes: Uint8Array,
  expected: { readonly modelLabel: string; readonly dataFingerprint: string },
): Promise<TrainingStateInfo> {
  const { header, info, adamStep, pid } = await openState(bytes);
  if (info.modelLabel !== expected.modelLabel) {
    throw new CheckpointMismatchError(`the checkpoint was trained on model ${info.modelLabel}, but this run loads ${expected.modelLabel}; resume with the same base model`);
  }
  if (info.dataFingerprint !== expected.dataFingerprint) {
    throw new CheckpointMismatchError(
      `the checkpoint was trained on other data (fingerprint ${info.dataFingerprint.slice(0, 12)}…, this run ${expected.dataFingerprint.slice(0, 12)}…): ` +
        'the data file, its rows, the template, the seed or the number of training prompts differ; resume with the same ones',
    );
  }
  const differences = optionDifferences(info.options, trainer.trainOptions);
  if (differences.length > 0) throw new CheckpointMismatchError(`the checkpoint was trained with other options (${differences.join('; ')}); resume with the same ones`);
  const trainables = trainer.trainables();
  const names = new Set(trainables.flatMap((t) => ['weight', 'adam.m', 'adam.v'].map((p) => `${p}/${t.name}`)));
  const extra = [...header.tensors.keys()].filter((n) => !names.has(n));
  if (extra.length > 0) throw new CheckpointMismatchError(`the checkpoint has tensors this model does not train (${extra.slice(0, 3).join(', ')}); it is from another model`);
  for (const name of names) {
    const entry = header.tensors.get(name);
    const want = trainables.find((t) => name.endsWith(`/${t.name}`))!.param.shape;
    if (!entry) throw new CheckpointMismatchError(`the checkpoint has no tensor ${name}; it is from another model or was trained with other options`);
    if (entry.dtype !== 'F32' || entry.shape.join(',') !== want.join(',')) {
      throw new CheckpointMismatchError(`the checkpoint's ${name} is ${entry.dtype} [${entry.shape.join(', ')}], but this model's is F32 [${want.join(', ')}]; it is from another model`);
    }
  }
  const read = (name: string) => readTensorF32(header, name);
  const moments: { m: Tensor[]; v: Tensor[] } = { m: [], v: [] };
  try {
    for (const t of trainables) {
      e.write(t.param, await read(`weight/${t.name}`));
      moments.m.push(e.upload(await read(`adam.m/${t.name}`), t.m.shape));
      moments.v.push(e.upload(await read(`adam.v/${t.name}`), t.v.shape));
    }
    trainer.restore({ stepsDone: info.stepsDone, pid, adam: { ...moments, step: adamStep } });
    await e.sync();
  } finally {
    for (const t of [...moments.m, ...moments.v]) t.release();
  }
  return info;
}
