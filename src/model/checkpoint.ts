/**
 * A model folder's weights as one TensorSource: a single model.safetensors, or shards listed by
 * model.safetensors.index.json. Only headers are read when opening; tensors are read one at a time,
 * so a checkpoint larger than one ArrayBuffer still loads.
 */
import { readText, type ModelFolder } from './files';
import { readSafetensorsHeader, readTensorF32, type SafetensorsHeader } from './safetensors';
import type { TensorSource } from './spec';

const SINGLE = 'model.safetensors';
const INDEX = 'model.safetensors.index.json';

export class Checkpoint implements TensorSource {
  /** Which header holds each tensor. */
  private readonly byName: ReadonlyMap<string, SafetensorsHeader>;

  constructor(
    readonly label: string,
    /** One header per safetensors file, in index order. */
    readonly files: readonly SafetensorsHeader[],
  ) {
    const byName = new Map<string, SafetensorsHeader>();
    for (const header of files) {
      for (const name of header.tensors.keys()) {
        const other = byName.get(name);
        if (other) {
          throw new Error(`${label}: tensor "${name}" is in both ${other.file.name} and ${header.file.name}; a tensor may be in one shard only; download the checkpoint again`);
        }
        byName.set(name, header);
      }
    }
    this.byName = byName;
  }

  names(): readonly string[] {
    return [...this.byName.keys()];
  }

  info(name: string): { readonly dtype: string; readonly shape: readonly number[]; readonly file: string } | undefined {
    const header = this.byName.get(name);
    const entry = header?.tensors.get(name);
    return header && entry ? { dtype: entry.dtype, shape: entry.shape, file: header.file.name } : undefined;
  }

  async read(name: string): Promise<Float32Array> {
    return inFolder(this.label, readTensorF32(this.headerOf(name), name));
  }

  /** The tensor's bytes exactly as stored, for copying it unchanged into another checkpoint. */
  async readRaw(name: string): Promise<Uint8Array> {
    const header = this.headerOf(name);
    const entry = header.tensors.get(name)!;
    return inFolder(this.label, header.file.read(entry.begin, entry.end - entry.begin));
  }

  private headerOf(name: string): SafetensorsHeader {
    const header = this.byName.get(name);
    if (!header) throw new Error(`${this.label}: there is no tensor "${name}" in the checkpoint (it has ${this.byName.size} tensors)`);
    return header;
  }
}

/** Bytes of all tensors as stored (before widening to f32), for progress and memory estimates. */
export function checkpointBytes(c: Checkpoint): number {
  let total = 0;
  for (const header of c.files) for (const t of header.tensors.values()) total += t.end - t.begin;
  return total;
}

export async function openCheckpoint(folder: ModelFolder): Promise<Checkpoint> {
  const names = folder.names();
  // model.safetensors wins over an index beside it, as in HF transformers.
  const single = folder.get(SINGLE);
  if (single) return new Checkpoint(`${folder.label}/${SINGLE}`, [await inFolder(folder.label, readSafetensorsHeader(single))]);
  const index = folder.get(INDEX);
  if (index) return openSharded(folder, await readText(index));
  const bin = names.find((n) => n.endsWith('.bin') && !n.includes('/'));
  if (bin) {
    throw new Error(`only safetensors checkpoints are supported: ${folder.label} has ${bin}; convert it or pick the model's safetensors revision`);
  }
  const shown = names.length > 20 ? `${names.slice(0, 20).join(', ')} and ${names.length - 20} more` : names.join(', ') || 'none';
  throw new Error(`${folder.label} has no ${SINGLE} and no ${INDEX} (files: ${shown}); pick the folder that holds the model's safetensors weights`);
}

async function openSharded(folder: ModelFolder, indexText: string): Promise<Checkpoint> {
  const where = `${folder.label}/${INDEX}`;
  const weightMap = parseWeightMap(where, indexText);
  const shardNames = [...new Set(weightMap.values())];
  const shardFiles = shardNames.map((shard) => {
    const file = folder.get(shard);
    if (!file) throw new Error(`${INDEX} names shard ${shard}, which is not in ${folder.label}; download the missing shard`);
    return file;
  });
  const headers = await Promise.all(shardFiles.map((file) => inFolder(folder.label, readSafetensorsHeader(file))));
  const headerOf = new Map(shardNames.map((shard, i) => [shard, headers[i]]));
  for (const [tensor, shard] of weightMap) {
    if (!headerOf.get(shard)!.tensors.has(tensor)) {
      throw new Error(`${where} puts tensor "${tensor}" in ${shard}, but that shard has no such tensor; the shard is from another revision; download the checkpoint again`);
    }
  }
  return new Checkpoint(where, headers);
}

function parseWeightMap(where: string, text: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where} is not valid JSON (${(e as Error).message}); download it again`);
  }
  const weightMap = typeof parsed === 'object' && parsed !== null ? (parsed as { weight_map?: unknown }).weight_map : undefined;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new Error(`${where} has no weight_map object (got ${JSON.stringify(weightMap)}); download it again`);
  }
  const map = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string') throw new Error(`${where}: weight_map "${tensor}" is ${JSON.stringify(shard)}, not a shard file name; download it again`);
    map.set(tensor, shard);
  }
  return map;
}

/** Header and dtype errors name the file only; this adds which folder it is in. */
async function inFolder<T>(label: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    throw new Error(`${(e as Error).message} (in ${label})`, { cause: e });
  }
}
