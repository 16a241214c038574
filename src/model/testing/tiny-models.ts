/**
 * Tiny models with random weights in the exact files a Hugging Face checkpoint has (config.json
 * with every field a real one carries, model.safetensors with HF's tensor names, dtypes and
 * layouts, tokenizer files), so tests and scripts go through the same loading code as real models.
 * Weights are reproducible from the seed; each tensor's values depend only on the seed and its name.
 */
import { randomArray } from '../../engine/random';
import { toHalfBits } from '../../engine/dtype';
import { encodeSafetensors, f32Bytes, type SafetensorsDType, type TensorToWrite } from '../safetensors';
import { architectureModule } from '../arch';
import { layerParts, type HfTensor, type LinearTensors, type ModelTensors, type NormTensors, type TinyBuffer, type TinyConfigInput } from '../arch/types';
import { parseModelConfig } from '../config';
import type { Architecture, ModelSpec } from '../spec';
import { tinyTokenizerFiles } from './tiny-tokenizer';

export interface TinyModelOptions {
  readonly seed?: number;
  readonly layers?: number;
  /** Default: tied for GPT-2 and Llama (as gpt2 and SmolLM2), untied for Qwen2 (as Qwen2.5-7B). */
  readonly tied?: boolean;
  /** Storage of the weight matrices (embeddings and projections); norms, biases and buffers stay F32. Default F32. */
  readonly dtype?: SafetensorsDType;
  /** Elements set to chosen values (e.g. NaN): a damaged or diverged checkpoint, for the load checks. */
  readonly planted?: readonly PlantedValue[];
  /** See TinyTokenizerOptions: words that are one token after a space only. */
  readonly spaceOnlyWords?: readonly string[];
  /** Sizes other than the tiny defaults (hidden 32, 4 heads, 2 kv heads, head_dim hidden / heads, intermediate 64, 512 positions). */
  readonly sizes?: Partial<Pick<TinyConfigInput, 'hidden' | 'heads' | 'kvHeads' | 'headDim' | 'intermediate' | 'maxPositions'>>;
  /** Another tokenizer's files (e.g. the classroom language's) instead of the tiny byte-level one; `tokenIds` names the ids the config's special-token fields take. */
  readonly tokenizer?: { readonly files: Readonly<Record<string, string>>; readonly vocabSize: number; readonly tokenIds: Readonly<Record<string, number>> };
  /**
   * How the weights are drawn: 'tiny' (default) gives O(1) activations at hidden 32 for the kernel
   * tests; { std } is a pretraining start, as HF's initializer_range: every matrix uniform with that
   * standard deviation, norms exactly 1, biases 0, so the first loss is about ln(vocab).
   */
  readonly init?: 'tiny' | { readonly std: number };
}

export interface PlantedValue {
  readonly tensor: string;
  readonly index: number;
  readonly value: number;
}

const HIDDEN = 32;
const HEADS = 4;
const KV_HEADS = 2;
const HEAD_DIM = HIDDEN / HEADS;
const INTERMEDIATE = 64;
// Room for prompts of k = 4 demonstrations, which the tiny byte-level tokenizer spells in 100-300 tokens.
const MAX_POSITIONS = 512;
const TRANSFORMERS_VERSION = '4.46.3';
// Projections of 0.2 keep activations O(1) at hidden size 32; norms near 1 keep the scale of each layer.
const WEIGHT_SCALE = 0.2;
const BIAS_SCALE = 0.1;
const NORM_SPREAD = 0.1;

const TORCH_DTYPE: Readonly<Record<SafetensorsDType, string>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/**
 * config.json, model.safetensors, tokenizer.json and tokenizer_config.json of a tiny model. The
 * config comes from the architecture's module (model/arch/); the tensors are the ones its
 * description names for that config, in the checkpoint's order, plus the buffers real checkpoints carry.
 */
export function tinyModelFiles(arch: Architecture, opts: TinyModelOptions = {}): Record<string, Uint8Array | string> {
  const module = architectureModule(arch);
  const tokenizer = opts.tokenizer ?? tinyTokenizerFiles(module.tiny.tokenizer, { spaceOnlyWords: opts.spaceOnlyWords });
  const tokenIds = opts.tokenizer?.tokenIds ?? (JSON.parse(tokenizer.files['tokenizer.json']) as { model: { vocab: Record<string, number> } }).model.vocab;
  const dtype = opts.dtype ?? 'F32';
  const hidden = opts.sizes?.hidden ?? HIDDEN;
  const heads = opts.sizes?.heads ?? HEADS;
  const sizes: TinyConfigInput = {
    vocabSize: tokenizer.vocabSize,
    layers: opts.layers ?? 2,
    tied: opts.tied ?? module.tiny.tiedByDefault,
    hidden,
    heads,
    kvHeads: opts.sizes?.kvHeads ?? KV_HEADS,
    headDim: opts.sizes?.headDim ?? (opts.sizes?.hidden === undefined && opts.sizes?.heads === undefined ? HEAD_DIM : hidden / heads),
    intermediate: opts.sizes?.intermediate ?? INTERMEDIATE,
    maxPositions: opts.sizes?.maxPositions ?? MAX_POSITIONS,
    tokenIds,
  };
  const config = sortedKeys({
    ...module.tiny.config(sizes),
    torch_dtype: TORCH_DTYPE[dtype],
    transformers_version: TRANSFORMERS_VERSION,
    use_cache: true,
    vocab_size: tokenizer.vocabSize,
  });
  const spec = parseModelConfig(config, `tiny ${arch} config.json`);
  const w = new TensorWriter(opts.seed ?? 0, dtype, opts.planted ?? [], opts.init ?? 'tiny');
  writeTensors(w, module.tensors(spec), spec, (layer) => module.tiny.layerBuffers?.(layer, sizes) ?? []);
  const missing = opts.planted?.find((p) => !w.tensors.some((t) => t.name === p.tensor));
  if (missing) throw new Error(`tinyModelFiles: the ${arch} model has no tensor ${missing.tensor} to plant a value in`);
  return {
    'config.json': JSON.stringify(config, null, 2),
    'model.safetensors': encodeSafetensors(w.tensors, { format: 'pt' }),
    ...tokenizer.files,
  };
}

/** Random weights for every described tensor: embeddings of scale 1 (positions 0.5), projections 0.2, biases 0.1, norms near 1. */
function writeTensors(w: TensorWriter, tensors: ModelTensors, spec: ModelSpec, layerBuffers: (layer: number) => readonly TinyBuffer[]): void {
  const shape = (t: HfTensor) => t.dims.map((d) => d.n) as [number, number];
  const parts = (list: readonly (LinearTensors | NormTensors | null)[]) => {
    for (const part of list) {
      if (!part) continue;
      if (part.kind === 'norm') w.norm(part.weight.name, part.weight.dims[0].n);
      else if (!w.has(part.weight.name)) w.matrix(part.weight.name, shape(part.weight));
      if (part.bias && !w.has(part.bias.name)) w.bias(part.bias.name, part.bias.dims[0].n);
    }
  };
  w.matrix(tensors.tokenEmbedding.name, shape(tensors.tokenEmbedding), 1);
  if (tensors.positionEmbedding) w.matrix(tensors.positionEmbedding.name, shape(tensors.positionEmbedding), 0.5);
  tensors.layers.forEach((layer, i) => {
    const [attentionNorm, ...rest] = layerParts(layer);
    // Buffers right after the first norm, where GPT-2's checkpoints keep attn.bias.
    parts([attentionNorm]);
    for (const b of layerBuffers(i)) w.add(b.name, b.shape, b.values, 'F32');
    parts(rest);
  });
  parts([tensors.finalNorm]);
  if (!spec.tieWordEmbeddings) w.matrix(tensors.lmHead.name, shape(tensors.lmHead), 1);
}

function sortedKeys(json: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Writes the tiny model's files into `dir` (Node only; generated files are never committed). */
export async function writeTinyModel(dir: string, arch: Architecture, opts: TinyModelOptions = {}): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(tinyModelFiles(arch, opts))) await writeFile(join(dir, name), content);
}

class TensorWriter {
  readonly tensors: TensorToWrite[] = [];

  constructor(
    private readonly seed: number,
    private readonly matrixDType: SafetensorsDType,
    private readonly planted: readonly PlantedValue[],
    private readonly init: 'tiny' | { readonly std: number },
  ) {}

  has(name: string): boolean {
    return this.tensors.some((t) => t.name === name);
  }

  /** `scale` is the tiny init's half-width; a pretraining init uses its std for every matrix (uniform of half-width std·√3). */
  matrix(name: string, shape: [number, number], scale = WEIGHT_SCALE): void {
    const halfWidth = this.init === 'tiny' ? scale : this.init.std * Math.sqrt(3);
    this.add(name, shape, randomArray(shape[0] * shape[1], tensorSeed(this.seed, name), halfWidth), this.matrixDType);
  }

  bias(name: string, size: number): void {
    this.add(name, [size], this.init === 'tiny' ? randomArray(size, tensorSeed(this.seed, name), BIAS_SCALE) : new Float64Array(size), 'F32');
  }

  norm(name: string, size: number): void {
    const spread = this.init === 'tiny' ? NORM_SPREAD : 0;
    this.add(name, [size], randomArray(size, tensorSeed(this.seed, name), spread).map((v) => 1 + v), 'F32');
  }

  add(name: string, shape: readonly number[], values: ArrayLike<number>, dtype: SafetensorsDType): void {
    const planted = this.planted.filter((p) => p.tensor === name);
    if (planted.length > 0) {
      const copy = Array.from(values);
      for (const { index, value } of planted) {
        if (!(index >= 0 && index < copy.length)) throw new Error(`tinyModelFiles: ${name} has no element ${index}`);
        copy[index] = value;
      }
      values = copy;
    }
    this.tensors.push({ name, shape, dtype, bytes: encode(values, dtype) });
  }
}

/** FNV-1a of the name, mixed with the seed: each tensor's values are independent of the others' order. */
function tensorSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function encode(values: ArrayLike<number>, dtype: SafetensorsDType): Uint8Array {
  if (dtype === 'F32') return f32Bytes(values);
  const bits = new Uint16Array(values.length);
  if (dtype === 'F16') {
    for (let i = 0; i < values.length; i++) bits[i] = toHalfBits(values[i]);
  } else {
    // BF16 is the top half of an f32, rounded to nearest even.
    const f32 = Float32Array.from(values);
    const u32 = new Uint32Array(f32.buffer);
    for (let i = 0; i < u32.length; i++) bits[i] = (u32[i] + 0x7fff + ((u32[i] >>> 16) & 1)) >>> 16;
  }
  return new Uint8Array(bits.buffer);
}
