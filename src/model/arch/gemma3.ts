/**
 * Gemma3ForCausalLM (model_type "gemma3_text", e.g. google/gemma-3-270m): Llama's tensor layout with
 * QK-norm and four norms a layer (llama.ts `postNorms`), every RMSNorm scaling by (1 + w), a GeGLU
 * MLP (gelu_pytorch_tanh), token embeddings scaled by sqrt(hidden_size), attention scaled by
 * query_pre_attn_scalar ** -0.5, and layers of two kinds (layer_types): sliding-window attention with
 * RoPE at rope_local_base_freq, and full attention with RoPE at rope_theta (and rope_scaling).
 */
import type { ModelSpec, PositionEncoding } from '../spec';
import { ConfigFields, describe, type Json } from './config-fields';
import { LLAMA_FAMILY_IGNORED, llamaFamilyLayout } from './llama';
import { parseRope } from './rope-config';
import type { ArchitectureModule, TinyConfigInput } from './types';

// HF's ACT2FN: both are the tanh approximation of GELU.
const GEGLU_ACTIVATIONS = ['gelu_pytorch_tanh', 'gelu_new'];
const LAYER_TYPES = ['sliding_attention', 'full_attention'] as const;
type LayerType = (typeof LAYER_TYPES)[number];

/** Gemma3TextConfig's layer_types, or the pattern it is computed from: every `pattern`-th layer full. */
function parseLayerTypes(f: ConfigFields, numLayers: number, raw: unknown): LayerType[] {
  if (raw === undefined || raw === null) {
    const pattern = f.int('sliding_window_pattern', 6);
    return Array.from({ length: numLayers }, (_, i) => ((i + 1) % pattern ? 'sliding_attention' : 'full_attention'));
  }
  if (!Array.isArray(raw) || raw.length !== numLayers || !raw.every((t) => (LAYER_TYPES as readonly unknown[]).includes(t))) {
    throw new Error(
      `${f.source}: layer_types is ${describe(raw)}; expected a list of num_hidden_layers ${numLayers} entries, each "sliding_attention" or "full_attention". Check the file or download it again.`,
    );
  }
  return raw as LayerType[];
}

/**
 * RoPE of each layer kind. transformers 5 writes rope_parameters {full_attention: {...}, sliding_attention: {...}};
 * earlier versions rope_theta and rope_scaling for the full layers and rope_local_base_freq for the sliding ones.
 */
function parsePositions(f: ConfigFields, headDim: number): { full: PositionEncoding; sliding: PositionEncoding } {
  const params = f.object('rope_parameters');
  const of = (kind: LayerType, fallback: Json) => {
    const sub = params ? f.nested(params, 'rope_parameters').object(kind) : null;
    const json: Json = sub ? { rope_parameters: sub } : fallback;
    return parseRope(new ConfigFields(json, params ? `${f.source}: rope_parameters.${kind}` : f.source, f.hfArchitecture), headDim);
  };
  return {
    full: of('full_attention', { rope_theta: f.raw('rope_theta') ?? 1_000_000, rope_scaling: f.raw('rope_scaling') ?? null }),
    // HF applies rope_scaling to the full layers only.
    sliding: of('sliding_attention', { rope_theta: f.raw('rope_local_base_freq') ?? 10_000 }),
  };
}

function parseGemma3(f: ConfigFields): ModelSpec {
  for (const field of ['final_logit_softcapping', 'attn_logit_softcapping']) {
    if (f.has(field)) throw new Error(`${f.source}: ${field} is ${describe(f.raw(field))}, which caps logits with tanh; this is not implemented. Pick a ${f.hfArchitecture} model with ${field} null.`);
  }
  f.reject('use_bidirectional_attention', true, 'makes attention bidirectional (an embedding model, not a causal LM)');
  const activation = f.string('hidden_activation', 'gelu_pytorch_tanh');
  if (!GEGLU_ACTIVATIONS.includes(activation)) {
    throw new Error(`${f.source}: hidden_activation ${activation} is not supported; ${f.hfArchitecture} is loaded with a tanh-GELU-gated MLP (hidden_activation "gelu_pytorch_tanh"). Pick a model that uses it.`);
  }
  const hiddenSize = f.int('hidden_size', 2304);
  const numLayers = f.int('num_hidden_layers', 26);
  const numHeads = f.int('num_attention_heads', 8);
  const numKvHeads = f.int('num_key_value_heads', 4);
  if (numHeads % numKvHeads !== 0) {
    throw new Error(`${f.source}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}; grouped-query attention needs every key/value head to serve the same number of query heads. Check the file or download it again.`);
  }
  const headDim = f.int('head_dim', 256);
  const positions = parsePositions(f, headDim);
  const attentionBias = f.bool('attention_bias', false);
  return {
    architecture: 'gemma3',
    hfArchitecture: f.hfArchitecture,
    vocabSize: f.int('vocab_size', 262_208),
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: f.int('intermediate_size', 9216),
    maxPositions: f.int('max_position_embeddings', 131_072),
    norm: { kind: 'rmsnorm', eps: f.positive('rms_norm_eps', 1e-6), weightOffset: 1 },
    mlp: 'geglu',
    positions: positions.full,
    qkvBias: attentionBias,
    outputBias: attentionBias,
    mlpBias: false,
    tieWordEmbeddings: f.bool('tie_word_embeddings', true),
    bosTokenId: f.tokenId('bos_token_id', 2),
    eosTokenId: f.tokenId('eos_token_id', 1),
    gemma3: {
      // HF: the normalizer is a tensor of the embedding's dtype; in f32 that rounds sqrt(hidden).
      embeddingScale: Math.fround(Math.sqrt(hiddenSize)),
      attentionScale: f.positive('query_pre_attn_scalar', 256) ** -0.5,
      slidingWindow: f.int('sliding_window', 4096),
      layerTypes: parseLayerTypes(f, numLayers, f.raw('layer_types')),
      slidingPositions: positions.sliding,
    },
  };
}

/** google/gemma-3-270m's fields at tiny sizes, with a sliding window shorter than the tiny tests' sequences. */
function tinyConfig(t: TinyConfigInput) {
  return {
    architectures: ['Gemma3ForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    attn_logit_softcapping: null,
    bos_token_id: t.tokenIds['<|endoftext|>'],
    eos_token_id: t.tokenIds['<|im_end|>'],
    final_logit_softcapping: null,
    head_dim: t.headDim,
    hidden_activation: 'gelu_pytorch_tanh',
    hidden_size: t.hidden,
    initializer_range: 0.02,
    intermediate_size: t.intermediate,
    layer_types: Array.from({ length: t.layers }, (_, i) => ((i + 1) % 2 ? 'sliding_attention' : 'full_attention')),
    max_position_embeddings: t.maxPositions,
    model_type: 'gemma3_text',
    num_attention_heads: t.heads,
    num_hidden_layers: t.layers,
    num_key_value_heads: t.kvHeads,
    query_pre_attn_scalar: t.headDim * 2,
    rms_norm_eps: 1e-6,
    rope_local_base_freq: 10000.0,
    rope_scaling: null,
    rope_theta: 1000000.0,
    sliding_window: 3,
    tie_word_embeddings: t.tied,
    use_bidirectional_attention: false,
  };
}

export const gemma3: ArchitectureModule = {
  id: 'gemma3',
  hfArchitecture: 'Gemma3ForCausalLM',
  modelType: 'gemma3_text',
  parseConfig: parseGemma3,
  // HF Gemma3Attention: q/k/v/o biases follow attention_bias; the MLP has none.
  tensors: (spec) => llamaFamilyLayout(spec, { qkNorm: true, postNorms: true }),
  ignoredTensors: LLAMA_FAMILY_IGNORED,
  tiny: { tiedByDefault: true, tokenizer: 'qwen2', config: tinyConfig },
};
