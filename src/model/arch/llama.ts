/**
 * LlamaForCausalLM and the family that shares its layout (Qwen2 reuses it, see qwen2.ts): RoPE,
 * RMSNorm, SwiGLU MLP, grouped-query attention, nn.Linear weights stored [out, in] under
 * model.layers.N.
 */
import type { Architecture, ModelSpec } from '../spec';
import type { ConfigFields } from './config-fields';
import { parseRope } from './rope-config';
import type { ArchitectureModule, Dim, LinearTensors, ModelTensors, NormTensors, TinyConfigInput } from './types';

// HF's ACT2FN maps both names to SiLU.
const SWIGLU_ACTIVATIONS = ['silu', 'swish'];

/** What a member of the family does differently from Llama when reading config.json. */
export interface LlamaFamilyQuirks {
  /** Biases fixed by the architecture, whatever attention_bias / mlp_bias say (Qwen2: q, k, v only). */
  readonly biases?: { readonly qkv: boolean; readonly output: boolean; readonly mlp: boolean };
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  /** head_dim when config.json leaves it out; by default hidden_size / num_attention_heads (Qwen3Config: 128). */
  readonly headDim?: number;
  /** Throws for options of the config the engine does not implement. */
  readonly check?: (f: ConfigFields, numLayers: number, maxPositions: number) => void;
}

export function parseLlamaFamily(f: ConfigFields, architecture: Architecture, quirks: LlamaFamilyQuirks): ModelSpec {
  const hiddenSize = f.int('hidden_size');
  const numLayers = f.int('num_hidden_layers');
  const numHeads = f.int('num_attention_heads');
  const numKvHeads = f.int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new Error(
      `${f.source}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}; grouped-query attention needs every key/value head to serve the same number of query heads. Check the file or download it again.`,
    );
  }
  if (!f.has('head_dim') && quirks.headDim === undefined && hiddenSize % numHeads !== 0) {
    throw new Error(
      `${f.source}: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}, and there is no head_dim to say how wide a head is. Check the file or download it again.`,
    );
  }
  const headDim = f.int('head_dim', quirks.headDim ?? hiddenSize / numHeads);
  const maxPositions = f.int('max_position_embeddings');
  const activation = f.string('hidden_act', 'silu');
  if (!SWIGLU_ACTIVATIONS.includes(activation)) {
    throw new Error(`${f.source}: hidden_act ${activation} is not supported; ${f.hfArchitecture} is loaded with a SiLU-gated MLP (hidden_act "silu"). Pick a model that uses it.`);
  }
  quirks.check?.(f, numLayers, maxPositions);
  const attentionBias = quirks.biases ? false : f.bool('attention_bias', false);
  const biases = quirks.biases ?? { qkv: attentionBias, output: attentionBias, mlp: f.bool('mlp_bias', false) };
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
    qkvBias: biases.qkv,
    outputBias: biases.output,
    mlpBias: biases.mlp,
    tieWordEmbeddings: f.bool('tie_word_embeddings', false),
    bosTokenId: f.tokenId('bos_token_id', quirks.bosTokenId),
    eosTokenId: f.tokenId('eos_token_id', quirks.eosTokenId),
  };
}

/** Llama's and Qwen2's tensors. */
export function llamaFamilyTensors(spec: ModelSpec): ModelTensors {
  return llamaFamilyLayout(spec, { qkNorm: false });
}

/**
 * `qkNorm`: Qwen3's self_attn.q_norm / k_norm, RMSNorm weights [head_dim] applied to every head of q and k.
 * `postNorms`: Gemma 3's four norms a layer, post_attention_layernorm on the attention's output and
 * pre_feedforward_layernorm / post_feedforward_layernorm around the MLP.
 */
export function llamaFamilyLayout(spec: ModelSpec, opts: { readonly qkNorm: boolean; readonly postNorms?: boolean }): ModelTensors {
  const hidden: Dim = { n: spec.hiddenSize, why: `hidden_size ${spec.hiddenSize}` };
  const qDim: Dim = { n: spec.numHeads * spec.headDim, why: `num_attention_heads ${spec.numHeads} × head_dim ${spec.headDim}` };
  const kvDim: Dim = { n: spec.numKvHeads * spec.headDim, why: `num_key_value_heads ${spec.numKvHeads} × head_dim ${spec.headDim}` };
  const inter: Dim = { n: spec.intermediateSize, why: `intermediate_size ${spec.intermediateSize}` };
  const vocab: Dim = { n: spec.vocabSize, why: `vocab_size ${spec.vocabSize}` };
  const linear = (name: string, inDim: Dim, outDim: Dim, bias: boolean, trained = false): LinearTensors => ({
    kind: 'linear',
    weight: { name: `${name}.weight`, dims: [outDim, inDim] },
    bias: bias ? { name: `${name}.bias`, dims: [outDim] } : null,
    layout: { kind: 'linear' },
    trained,
  });
  const headDim: Dim = { n: spec.headDim, why: `head_dim ${spec.headDim}` };
  const norm = (name: string, dim = hidden): NormTensors => ({ kind: 'norm', weight: { name: `${name}.weight`, dims: [dim] }, bias: null });
  return {
    tokenEmbedding: { name: 'model.embed_tokens.weight', dims: [vocab, hidden] },
    positionEmbedding: null,
    layers: Array.from({ length: spec.numLayers }, (_, i) => {
      const l = `model.layers.${i}`;
      return {
        attentionNorm: norm(`${l}.input_layernorm`),
        q: linear(`${l}.self_attn.q_proj`, hidden, qDim, spec.qkvBias, true),
        k: linear(`${l}.self_attn.k_proj`, hidden, kvDim, spec.qkvBias, true),
        qNorm: opts.qkNorm ? norm(`${l}.self_attn.q_norm`, headDim) : null,
        kNorm: opts.qkNorm ? norm(`${l}.self_attn.k_norm`, headDim) : null,
        v: linear(`${l}.self_attn.v_proj`, hidden, kvDim, spec.qkvBias),
        o: linear(`${l}.self_attn.o_proj`, qDim, hidden, spec.outputBias),
        postAttentionNorm: opts.postNorms ? norm(`${l}.post_attention_layernorm`) : null,
        mlpNorm: norm(opts.postNorms ? `${l}.pre_feedforward_layernorm` : `${l}.post_attention_layernorm`),
        postMlpNorm: opts.postNorms ? norm(`${l}.post_feedforward_layernorm`) : null,
        gate: linear(`${l}.mlp.gate_proj`, hidden, inter, spec.mlpBias),
        up: linear(`${l}.mlp.up_proj`, hidden, inter, spec.mlpBias),
        down: linear(`${l}.mlp.down_proj`, inter, hidden, spec.mlpBias),
      };
    }),
    finalNorm: norm('model.norm'),
    lmHead: { name: 'lm_head.weight', dims: [vocab, hidden] },
  };
}

/** Caches of RoPE tables some Llama-family checkpoints carry. */
export const LLAMA_FAMILY_IGNORED = [/rotary_emb\.inv_freq$/];

/** SmolLM2-135M-Instruct's fields at tiny sizes, with Llama 3.2's explicit head_dim. */
function tinyConfig(t: TinyConfigInput) {
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: t.tokenIds['<|im_start|>'],
    eos_token_id: t.tokenIds['<|im_end|>'],
    head_dim: t.headDim,
    hidden_act: 'silu',
    hidden_size: t.hidden,
    initializer_range: 0.02,
    intermediate_size: t.intermediate,
    max_position_embeddings: t.maxPositions,
    mlp_bias: false,
    model_type: 'llama',
    num_attention_heads: t.heads,
    num_hidden_layers: t.layers,
    num_key_value_heads: t.kvHeads,
    pretraining_tp: 1,
    rms_norm_eps: 1e-5,
    rope_scaling: null,
    rope_theta: 10000.0,
    tie_word_embeddings: t.tied,
  };
}

export const llama: ArchitectureModule = {
  id: 'llama',
  hfArchitecture: 'LlamaForCausalLM',
  modelType: 'llama',
  parseConfig: (f) => parseLlamaFamily(f, 'llama', { bosTokenId: 1, eosTokenId: 2 }),
  tensors: llamaFamilyTensors,
  ignoredTensors: LLAMA_FAMILY_IGNORED,
  tiny: { tiedByDefault: true, tokenizer: 'llama', config: tinyConfig },
};
