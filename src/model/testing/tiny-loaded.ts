/**
 * A generated tiny model loaded through the real path (files → checkpoint → GPU), with its
 * checkpoint's tensors also widened to float64 for the reference implementations.
 */
import type { Engine } from '../../engine/engine';
import { openCheckpoint } from '../checkpoint';
import { memoryFolder } from '../files';
import { loadModel, type LoadedModel } from '../load';
import type { FrozenDType } from '../memory';
import type { HfTensors } from '../reference/forward';
import type { Architecture, ModelSpec, ModelWeights, TensorSource } from '../spec';
import { tinyModelFiles, type TinyModelOptions } from './tiny-models';

export interface TinyLoaded {
  readonly files: Record<string, Uint8Array | string>;
  readonly model: LoadedModel;
  readonly tensors: HfTensors;
}

export async function readHfTensors(source: TensorSource): Promise<HfTensors> {
  const map = new Map<string, { shape: readonly number[]; data: Float64Array }>();
  for (const name of source.names()) map.set(name, { shape: source.info(name)!.shape, data: Float64Array.from(await source.read(name)) });
  return map;
}

export async function loadTinyModel(
  e: Engine,
  arch: Architecture,
  opts: { frozenDType?: FrozenDType; tiny?: TinyModelOptions; vocabularyChunkRows?: number } = {},
): Promise<TinyLoaded> {
  const files = tinyModelFiles(arch, opts.tiny);
  const folder = memoryFolder(`tiny ${arch}`, files);
  const tensors = await readHfTensors(await openCheckpoint(folder));
  return { files, model: await loadModel(e, folder, { frozenDType: opts.frozenDType, vocabularyChunkRows: opts.vocabularyChunkRows }), tensors };
}

/** What the forward and backward tests read: the spec, the GPU weights and the float64 tensors. */
export interface TinyWeights {
  readonly spec: ModelSpec;
  readonly weights: ModelWeights;
  readonly tensors: HfTensors;
}

/** `vocabularyChunkRows` splits the embedding and LM head into small chunks, to test the split paths. */
export async function loadTinyWeights(e: Engine, arch: Architecture, frozenDType: FrozenDType = 'f32', vocabularyChunkRows?: number): Promise<TinyWeights> {
  const { model, tensors } = await loadTinyModel(e, arch, { frozenDType, vocabularyChunkRows });
  return { spec: model.spec, weights: model.weights, tensors };
}
