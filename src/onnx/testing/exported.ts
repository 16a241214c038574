/**
 * Test helpers: a tiny model loaded on the GPU with stand-ins for trained W_Q / W_K written over
 * its weights, exported to ONNX and written to a temporary folder, and greedy decoding by our engine.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Engine } from '../../engine/engine';
import { randomArray } from '../../engine/random';
import { packBatch } from '../../model/batch';
import { openCheckpoint } from '../../model/checkpoint';
import { fineTunedTensors } from '../../model/export';
import { memoryFolder } from '../../model/files';
import { forward } from '../../model/forward';
import type { LoadedModel } from '../../model/load';
import type { HfTensors } from '../../model/reference/forward';
import type { Architecture, TensorSource } from '../../model/spec';
import { loadTinyModel, readHfTensors } from '../../model/testing/tiny-loaded';
import { exportOnnx, fileBytes, type OnnxExport, type OnnxExportOptions } from '../export';

export interface ExportedTiny {
  readonly model: LoadedModel;
  /** The fine-tuned tensors (trained q/k from the GPU), float64, for the reference forward. */
  readonly tensors: HfTensors;
  readonly exported: OnnxExport;
  /** The exported folder on disk. */
  readonly dir: string;
}

/** New random W_Q, W_K (and biases) on the GPU: what a training run leaves there. */
export function writeTrainedStandIns(e: Engine, model: LoadedModel, seed: number): void {
  let s = seed;
  for (const layer of model.weights.layers) {
    for (const t of [layer.q.weight, layer.k.weight, layer.q.bias, layer.k.bias]) if (t) e.write(t, Float32Array.from(randomArray(t.size, s++, 0.2)));
  }
}

export async function exportTiny(e: Engine, arch: Architecture, opts: OnnxExportOptions = {}): Promise<ExportedTiny> {
  const { files, model } = await loadTinyModel(e, arch);
  writeTrainedStandIns(e, model, 500);
  const folder = memoryFolder(`tiny ${arch}`, files);
  const source: TensorSource = fineTunedTensors(e, model.spec, model.weights, await openCheckpoint(folder));
  const exported = await exportOnnx(model.spec, source, folder, opts);
  const dir = await mkdtemp(join(tmpdir(), `onnx-${arch}-`));
  await writeExport(exported, dir);
  return { model, tensors: await readHfTensors(source), exported, dir };
}

export async function writeExport(exported: OnnxExport, dir: string): Promise<void> {
  for (const file of exported.files) {
    const path = join(dir, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await fileBytes(file));
  }
}

/** Greedy decoding by our engine, recomputing the whole sequence each step (the engine has no KV cache). */
export async function engineGreedy(e: Engine, model: LoadedModel, prompt: readonly number[], steps: number): Promise<number[]> {
  const ids = [...prompt];
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const batch = packBatch([ids], 0);
    const { logits } = forward(e, model.spec, model.weights, batch, { logits: { rows: Int32Array.from([ids.length - 1]) } });
    const values = (await e.read(logits!)) as Float32Array;
    logits!.release();
    let best = 0;
    for (let v = 1; v < values.length; v++) if (values[v] > values[best]) best = v;
    out.push(best);
    ids.push(best);
    if (best === model.spec.eosTokenId) break;
  }
  return out;
}
