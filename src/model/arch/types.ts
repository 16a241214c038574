/**
 * What an architecture module says about a model: the HF tensors behind every engine weight (name,
 * shape as the config implies it, layout in the file, trained or frozen), how its config.json is
 * read, and how a tiny test model of it is written. The loader, memory plan, release, HF export,
 * ONNX names, float64 reference and tiny-model generator all read this one description.
 */
import type { LayerWeights, ModelSpec } from '../spec';
import type { TinyTokenizerStyle } from '../testing/tiny-tokenizer';
import type { ConfigFields, Json } from './config-fields';

/** A dimension the config implies, with the fields it comes from, for mismatch messages. */
export interface Dim {
  readonly n: number;
  readonly why: string;
}

/** A tensor as it must be in the checkpoint file: its HF name and shape there. */
export interface HfTensor {
  readonly name: string;
  readonly dims: readonly Dim[];
}

/**
 * How a projection y = x W (+ b) is stored. nn.Linear: weight [out, in], transposed on load to the
 * engine's [in, out]. GPT-2's Conv1D: weight [in, out] as the engine has it, of which columns
 * [from, to) are this projection (c_attn fuses q | k | v; the others take all columns).
 */
export type ProjectionLayout = { readonly kind: 'linear' } | { readonly kind: 'conv1d'; readonly from: number; readonly to: number };

export interface LinearTensors {
  readonly kind: 'linear';
  readonly weight: HfTensor;
  readonly bias: HfTensor | null;
  readonly layout: ProjectionLayout;
  /** What ABFT trains (W_Q, W_K and their biases): always f32, exported from the GPU. Frozen ones may be f16. */
  readonly trained: boolean;
}

export interface NormTensors {
  readonly kind: 'norm';
  readonly weight: HfTensor;
  /** LayerNorm only. */
  readonly bias: HfTensor | null;
}

/** The keys of LayerWeights that hold a norm; every other key holds a projection. */
type NormKey = 'attentionNorm' | 'qNorm' | 'kNorm' | 'mlpNorm' | 'postAttentionNorm' | 'postMlpNorm';

/** How each part of a layer (a key of LayerWeights) is named to users, e.g. in the memory plan. */
export const PART_LABELS: Readonly<Record<keyof LayerWeights, string>> = {
  attentionNorm: 'attention norm',
  q: 'q projection',
  k: 'k projection',
  qNorm: 'q norm',
  kNorm: 'k norm',
  v: 'v projection',
  o: 'attention output projection',
  mlpNorm: 'MLP norm',
  postAttentionNorm: 'post-attention norm',
  postMlpNorm: 'post-MLP norm',
  gate: 'MLP gate projection',
  up: 'MLP up projection',
  down: 'MLP down projection',
};

/** One layer's tensors, keyed as LayerWeights (spec.ts), in the order the checkpoint lists them. */
export type LayerTensors = {
  readonly [K in keyof LayerWeights]: (K extends NormKey ? NormTensors : LinearTensors) | (null extends LayerWeights[K] ? null : never);
};

export interface ModelTensors {
  /** [vocab, hidden] */
  readonly tokenEmbedding: HfTensor;
  /** [maxPositions, hidden], learned positions only. */
  readonly positionEmbedding: HfTensor | null;
  readonly layers: readonly LayerTensors[];
  readonly finalNorm: NormTensors;
  /** [vocab, hidden]. Required when untied; when tied it may be absent, or present with the embedding's values. */
  readonly lmHead: HfTensor;
}

/** The sizes and ids a tiny model's config.json is written with (testing/tiny-models.ts). */
export interface TinyConfigInput {
  readonly vocabSize: number;
  readonly layers: number;
  readonly tied: boolean;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly intermediate: number;
  readonly maxPositions: number;
  /** The tiny tokenizer's vocabulary, for the special token ids. */
  readonly tokenIds: Readonly<Record<string, number>>;
}

/** A tensor a checkpoint carries that holds no weights (GPT-2's causal masks). */
export interface TinyBuffer {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: ArrayLike<number>;
}

export interface ArchitectureModule {
  /** ModelSpec.architecture. */
  readonly id: string;
  /** config.json `architectures[0]`, e.g. "LlamaForCausalLM". */
  readonly hfArchitecture: string;
  /** config.json `model_type`, read when a config has no `architectures`. */
  readonly modelType: string;
  /** config.json -> ModelSpec, with HF transformers' defaults for the fields it leaves out. */
  parseConfig(fields: ConfigFields): ModelSpec;
  /**
   * The checkpoint tensors of `spec`. `has` says which names the checkpoint holds, for naming that
   * varies between checkpoints (GPT-2 with or without "transformer."); without it, the names
   * save_pretrained writes.
   */
  tensors(spec: ModelSpec, has?: (name: string) => boolean): ModelTensors;
  /** Tensors some checkpoints carry that hold no weights (causal masks, RoPE caches): not read, not warned about. */
  readonly ignoredTensors: readonly RegExp[];
  readonly tiny: {
    /** As a real model of this architecture: gpt2 and SmolLM2 are tied, Qwen2.5-7B is not. */
    readonly tiedByDefault: boolean;
    readonly tokenizer: TinyTokenizerStyle;
    /** Every field a real config.json of this architecture carries, at the tiny sizes. */
    config(t: TinyConfigInput): Json;
    /** Non-weight tensors written after each layer's weights, as real checkpoints carry them. */
    layerBuffers?(layer: number, t: TinyConfigInput): readonly TinyBuffer[];
  };
}

/** Every HF tensor a layer's or the model's parts name, in order, fused tensors once. */
export function partTensors(parts: readonly (LinearTensors | NormTensors | null)[]): HfTensor[] {
  const out: HfTensor[] = [];
  for (const part of parts) {
    if (!part) continue;
    for (const t of [part.weight, part.bias]) if (t && !out.some((o) => o.name === t.name)) out.push(t);
  }
  return out;
}

/** The parts of a layer in checkpoint order. */
export function layerParts(layer: LayerTensors): (LinearTensors | NormTensors | null)[] {
  return Object.values(layer) as (LinearTensors | NormTensors | null)[];
}

/** The engine's shape of a projection's weight, [in, out], and of its bias, [out]. */
export function engineShape(l: LinearTensors): { readonly weight: [number, number]; readonly bias: [number] } {
  const [a, b] = l.weight.dims.map((d) => d.n);
  if (l.layout.kind === 'linear') return { weight: [b, a], bias: [a] };
  const width = l.layout.to - l.layout.from;
  return { weight: [a, width], bias: [width] };
}
