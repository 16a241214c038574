/**
 * A model folder (Hub cache, local folder, path) to a model on the GPU: config.json, a fit check
 * against the adapter before any byte is uploaded, the safetensors weights, and the tokenizer.
 */
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { openCheckpoint } from './checkpoint';
import { parseModelConfig } from './config';
import { readText, type ModelFolder } from './files';
import { checkFitsAdapter, countParameters, type FrozenDType } from './memory';
import type { LinearWeights, ModelSpec, ModelWeights, NormWeights } from './spec';
import { loadTokenizer, type ModelTokenizer } from './tokenizer';
import { loadWeights } from './weights';

export interface LoadedModel {
  readonly label: string;
  readonly spec: ModelSpec;
  readonly weights: ModelWeights;
  /** null when the folder has no tokenizer.json and the caller allowed that (token ids given directly). */
  readonly tokenizer: ModelTokenizer | null;
  readonly parameters: number;
  /** Bytes of the GPU buffers that hold the weights. */
  readonly gpuBytes: number;
  readonly warnings: readonly string[];
}

export interface LoadModelOptions {
  readonly frozenDType?: FrozenDType;
  readonly requireTokenizer?: boolean;
  /** Bytes of weights uploaded so far, and in all. */
  readonly onProgress?: (done: number, total: number) => void;
  /** See LoadWeightsOptions: forces smaller vocabulary chunks of the embedding and LM head (tests). */
  readonly vocabularyChunkRows?: number;
}

export async function readModelSpec(folder: ModelFolder): Promise<ModelSpec> {
  const file = folder.get('config.json');
  if (!file) throw new Error(`${folder.label} has no config.json; pick the folder that holds the model's config.json, model.safetensors and tokenizer.json.`);
  let json: unknown;
  try {
    json = JSON.parse(await readText(file));
  } catch (e) {
    throw new Error(`${folder.label}: config.json is not valid JSON (${(e as Error).message}); download it again.`);
  }
  return parseModelConfig(json, `${folder.label}: config.json`);
}

export async function loadModel(e: Engine, folder: ModelFolder, opts: LoadModelOptions = {}): Promise<LoadedModel> {
  const spec = await readModelSpec(folder);
  const frozenDType = opts.frozenDType ?? 'f32';
  checkFitsAdapter(spec, e.limits, frozenDType);
  const tokenizer = folder.get('tokenizer.json') || opts.requireTokenizer !== false ? await loadTokenizer(folder) : null;
  const checkpoint = await openCheckpoint(folder);
  const { weights, warnings } = await loadWeights(e, spec, checkpoint, { frozenDType, onProgress: opts.onProgress, vocabularyChunkRows: opts.vocabularyChunkRows });
  return {
    label: folder.label,
    spec,
    weights,
    tokenizer,
    parameters: countParameters(spec),
    gpuBytes: weightBufferBytes(weights),
    warnings,
  };
}

/** Every tensor of the weights, once (a tied LM head is the embedding). */
function weightTensors(weights: ModelWeights): Tensor[] {
  const tensors = [...weights.tokenEmbedding.chunks, weights.positionEmbedding, weights.finalNorm.weight, weights.finalNorm.bias];
  if (weights.lmHead !== weights.tokenEmbedding) tensors.push(...weights.lmHead.chunks);
  // Every part of a layer (arch/types.ts LayerTensors) is a norm or a projection: a weight and maybe a bias.
  for (const layer of weights.layers) {
    for (const part of Object.values(layer) as (NormWeights | LinearWeights | null)[]) if (part) tensors.push(part.weight, part.bias);
  }
  return tensors.filter((t): t is Tensor => t !== null);
}

/**
 * Counted from the buffers themselves (packed W_Q/W_K share some), not from the pool's growth during
 * the load: a model loaded after another reuses its freed buffers, and the pool then grows by nothing.
 */
function weightBufferBytes(weights: ModelWeights): number {
  const buffers = new Set(weightTensors(weights).map((t) => t.buffer));
  return [...buffers].reduce((sum, b) => sum + b.size, 0);
}

/** Gives the weights' GPU buffers back. */
export function releaseWeights(weights: ModelWeights): void {
  for (const t of weightTensors(weights)) t.release();
}

export function releaseModel(model: LoadedModel): void {
  releaseWeights(model.weights);
}
