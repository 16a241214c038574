/**
 * config.json -> ModelSpec, with HF transformers' defaults for fields a config leaves out
 * (GPT2Config, LlamaConfig, Qwen2Config). The sizes that decide every weight shape are required:
 * a config.json without them is more likely the wrong file than one meant to take the defaults.
 * Options that change the computation in ways the engine does not implement are rejected by name.
 */
import { scaledInvFreq, type RopeScaling } from './rope-scaling';
import { SUPPORTED_ARCHITECTURES, type Architecture, type ModelSpec, type PositionEncoding } from './spec';

type Json = Record<string, unknown>;

/** Used when config.json has no `architectures`, as some older or hand-written configs do. */
const ARCHITECTURE_OF_MODEL_TYPE: Readonly<Record<string, string>> = {
  gpt2: 'GPT2LMHeadModel',
  llama: 'LlamaForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
};

const GPT2_ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh'];
// HF's ACT2FN maps both names to SiLU.
const SWIGLU_ACTIVATIONS = ['silu', 'swish'];

export function parseModelConfig(json: unknown, source = 'config.json'): ModelSpec {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${source} is not a JSON object (it is ${describe(json)}); pick the model's config.json`);
  }
  const hfArchitecture = readArchitecture(json as Json, source);
  const fields = new Fields(json as Json, source, hfArchitecture);
  const architecture = SUPPORTED_ARCHITECTURES[hfArchitecture];
  return architecture === 'gpt2' ? parseGpt2(fields) : parseLlamaLike(fields, architecture);
}

function readArchitecture(json: Json, source: string): string {
  const list = json.architectures;
  let name: unknown;
  if (list === undefined || list === null) {
    name = ARCHITECTURE_OF_MODEL_TYPE[String(json.model_type)];
    if (name === undefined) {
      throw new Error(
        `${source} has no architectures list and model_type ${describe(json.model_type)}; expected e.g. "architectures": ["LlamaForCausalLM"]. Pick the config.json of a supported model (${supportedList()}).`,
      );
    }
  } else if (!Array.isArray(list) || typeof list[0] !== 'string') {
    throw new Error(`${source}: architectures is ${describe(list)}; expected a list of class names such as ["LlamaForCausalLM"]. Check the file or download it again.`);
  } else {
    name = list[0];
  }
  if (typeof name !== 'string' || !(name in SUPPORTED_ARCHITECTURES)) {
    throw new Error(`${source}: architecture ${String(name)} is not supported; supported: ${supportedList()}. Pick a model of one of these architectures.`);
  }
  return name;
}

function parseGpt2(f: Fields): ModelSpec {
  const hiddenSize = f.int('n_embd');
  const numHeads = f.int('n_head');
  if (hiddenSize % numHeads !== 0) {
    throw new Error(`${f.source}: n_embd ${hiddenSize} is not divisible by n_head ${numHeads}; every head must get the same number of dimensions. Check the file or download it again.`);
  }
  const activation = f.string('activation_function', 'gelu_new');
  if (!GPT2_ACTIVATIONS.includes(activation)) {
    throw new Error(
      `${f.source}: activation_function ${activation} is not supported; GPT2LMHeadModel is loaded with the tanh GELU (${GPT2_ACTIVATIONS.join(' or ')}). Pick a GPT-2 model that uses it.`,
    );
  }
  f.reject('scale_attn_by_inverse_layer_idx', true, 'scales attention scores by 1 / (layer index + 1)');
  f.reject('reorder_and_upcast_attn', true, 'reorders and upcasts the attention product');
  f.reject('scale_attn_weights', false, 'leaves attention scores unscaled by 1 / sqrt(head_dim)');
  return {
    architecture: 'gpt2',
    hfArchitecture: f.hfArchitecture,
    vocabSize: f.int('vocab_size'),
    hiddenSize,
    numLayers: f.int('n_layer'),
    numHeads,
    numKvHeads: numHeads,
    headDim: hiddenSize / numHeads,
    intermediateSize: f.int('n_inner', 4 * hiddenSize),
    maxPositions: f.int('n_positions'),
    norm: { kind: 'layernorm', eps: f.positive('layer_norm_epsilon', 1e-5) },
    mlp: 'gelu',
    positions: { kind: 'learned' },
    qkvBias: true,
    outputBias: true,
    mlpBias: true,
    tieWordEmbeddings: f.bool('tie_word_embeddings', true),
    bosTokenId: f.tokenId('bos_token_id', 50256),
    eosTokenId: f.tokenId('eos_token_id', 50256),
  };
}

function parseLlamaLike(f: Fields, architecture: Architecture): ModelSpec {
  const qwen2 = architecture === 'qwen2';
  const hiddenSize = f.int('hidden_size');
  const numLayers = f.int('num_hidden_layers');
  const numHeads = f.int('num_attention_heads');
  const numKvHeads = f.int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new Error(
      `${f.source}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}; grouped-query attention needs every key/value head to serve the same number of query heads. Check the file or download it again.`,
    );
  }
  if (!f.has('head_dim') && hiddenSize % numHeads !== 0) {
    throw new Error(
      `${f.source}: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}, and there is no head_dim to say how wide a head is. Check the file or download it again.`,
    );
  }
  const headDim = f.int('head_dim', hiddenSize / numHeads);
  const maxPositions = f.int('max_position_embeddings');
  const activation = f.string('hidden_act', 'silu');
  if (!SWIGLU_ACTIVATIONS.includes(activation)) {
    throw new Error(`${f.source}: hidden_act ${activation} is not supported; ${f.hfArchitecture} is loaded with a SiLU-gated MLP (hidden_act "silu"). Pick a model that uses it.`);
  }
  if (qwen2) rejectSlidingWindow(f, numLayers, maxPositions);
  const attentionBias = !qwen2 && f.bool('attention_bias', false);
  const mlpBias = !qwen2 && f.bool('mlp_bias', false);
  return {
    architecture,
    hfArchitecture: f.hfArchitecture,
    vocabSize: f.int('vocab_size'),
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: f.int('intermediate_size'),
    maxPositions,
    norm: { kind: 'rmsnorm', eps: f.positive('rms_norm_eps', 1e-6) },
    mlp: 'swiglu',
    positions: parseRope(f, headDim),
    // Qwen2 always has q/k/v biases and never an o bias, whatever attention_bias says.
    qkvBias: qwen2 || attentionBias,
    outputBias: attentionBias,
    mlpBias,
    tieWordEmbeddings: f.bool('tie_word_embeddings', false),
    bosTokenId: f.tokenId('bos_token_id', qwen2 ? null : 1),
    eosTokenId: f.tokenId('eos_token_id', qwen2 ? null : 2),
  };
}

/** HF Qwen2 slides the window only when enabled, and then only in layers >= max_window_layers. */
function rejectSlidingWindow(f: Fields, numLayers: number, maxPositions: number): void {
  if (!f.bool('use_sliding_window', false) || !f.has('sliding_window')) return;
  const window = f.int('sliding_window');
  const firstSliding = f.nonNegativeInt('max_window_layers', 28);
  if (window >= maxPositions || firstSliding >= numLayers) return;
  throw new Error(
    `${f.source}: use_sliding_window is true with sliding_window ${window} < max_position_embeddings ${maxPositions} in layers ${firstSliding}..${numLayers - 1} (max_window_layers ${firstSliding}); sliding-window attention is not implemented. Pick a model with use_sliding_window false.`,
  );
}

/**
 * transformers 5 writes rope_parameters {rope_type, rope_theta, ...}; earlier versions write
 * rope_theta and rope_scaling {rope_type or type, ...} at the top level. Both are read.
 */
function parseRope(f: Fields, headDim: number): PositionEncoding {
  const field = f.has('rope_parameters') ? 'rope_parameters' : 'rope_scaling';
  const params = f.object(field);
  const rope = params ? f.nested(params, field) : null;
  const theta = rope?.has('rope_theta') ? rope.positive('rope_theta') : f.positive('rope_theta', 10000);
  const partial = rope?.has('partial_rotary_factor') ? rope.positive('partial_rotary_factor') : f.positive('partial_rotary_factor', 1);
  const rotaryDim = Math.floor(headDim * partial);
  if (partial > 1 || rotaryDim < 2 || rotaryDim % 2 !== 0) {
    throw new Error(
      `${f.source}: partial_rotary_factor ${partial} × head_dim ${headDim} gives ${rotaryDim} rotary dimensions; expected an even number from 2 to head_dim. Check the file or download it again.`,
    );
  }
  const scaling = rope ? parseRopeScaling(rope) : { type: 'default' as const };
  return { kind: 'rope', theta, rotaryDim, layout: 'half', invFreq: scaledInvFreq(theta, rotaryDim, scaling) };
}

function parseRopeScaling(r: Fields): RopeScaling {
  const type = r.has('rope_type') ? r.string('rope_type') : r.string('type', 'default');
  switch (type) {
    case 'default':
      return { type };
    case 'linear':
      return { type, factor: r.positive('factor') };
    case 'llama3': {
      const lowFreqFactor = r.positive('low_freq_factor');
      const highFreqFactor = r.positive('high_freq_factor');
      if (highFreqFactor <= lowFreqFactor) {
        throw new Error(`${r.source}: high_freq_factor ${highFreqFactor} must be larger than low_freq_factor ${lowFreqFactor} for llama3 RoPE scaling. Check the file or download it again.`);
      }
      return { type, factor: r.positive('factor'), lowFreqFactor, highFreqFactor, originalMaxPositions: r.int('original_max_position_embeddings') };
    }
    default:
      throw new Error(`${r.source}: RoPE scaling type ${type} is not supported; supported: default, linear, llama3. Pick a model without this rope_scaling.`);
  }
}

/** Typed reads of config.json fields; every failure names the file, the field and its value. */
class Fields {
  constructor(
    private readonly json: Json,
    readonly source: string,
    readonly hfArchitecture: string,
  ) {}

  /** A field set to null counts as absent, as HF does for n_inner and head_dim. */
  has(field: string): boolean {
    return this.json[field] !== undefined && this.json[field] !== null;
  }

  nested(json: Json, field: string): Fields {
    return new Fields(json, `${this.source}: ${field}`, this.hfArchitecture);
  }

  int(field: string, fallback?: number): number {
    const v = this.value(field, fallback);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw this.invalid(field, v, 'a positive integer');
    return v;
  }

  nonNegativeInt(field: string, fallback: number): number {
    const v = this.value(field, fallback);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw this.invalid(field, v, 'a non-negative integer');
    return v;
  }

  positive(field: string, fallback?: number): number {
    const v = this.value(field, fallback);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw this.invalid(field, v, 'a positive number');
    return v;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.value(field, fallback);
    if (typeof v !== 'boolean') throw this.invalid(field, v, 'true or false');
    return v;
  }

  string(field: string, fallback?: string): string {
    const v = this.value(field, fallback);
    if (typeof v !== 'string') throw this.invalid(field, v, 'a string');
    return v;
  }

  object(field: string): Json | null {
    if (!this.has(field)) return null;
    const v = this.json[field];
    if (typeof v !== 'object' || Array.isArray(v)) throw this.invalid(field, v, 'an object or null');
    return v as Json;
  }

  /** A token id, or the first of a list of them (generation stops at any; we need one). */
  tokenId(field: string, fallback: number | null): number | null {
    if (!this.has(field)) return fallback;
    const raw = this.json[field];
    const v = Array.isArray(raw) ? raw[0] : raw;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw this.invalid(field, raw, 'a token id (a non-negative integer) or a list of them');
    return v;
  }

  reject(field: string, value: boolean, what: string): void {
    if (this.json[field] === value) {
      throw new Error(`${this.source}: ${field} is ${value}, which ${what}; this is not implemented. Pick a ${this.hfArchitecture} model without it.`);
    }
  }

  private value(field: string, fallback: unknown): unknown {
    if (this.has(field)) return this.json[field];
    if (fallback === undefined) {
      throw new Error(`${this.source}: ${field} is missing; ${this.hfArchitecture} needs it. Check that this is the model's complete config.json.`);
    }
    return fallback;
  }

  private invalid(field: string, value: unknown, expected: string): Error {
    return new Error(`${this.source}: ${field} is ${describe(value)}; expected ${expected}. Check the file or download it again.`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return `the list ${JSON.stringify(value)}`;
  return JSON.stringify(value) ?? String(value);
}

function supportedList(): string {
  return Object.keys(SUPPORTED_ARCHITECTURES).join(', ');
}
