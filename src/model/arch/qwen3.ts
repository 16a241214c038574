/**
 * Qwen3ForCausalLM (e.g. Qwen/Qwen3-0.6B): Llama's layout (llama.ts) with QK-norm, an RMSNorm of
 * weight [head_dim] (self_attn.q_norm / k_norm) on every head of q and k after the projections and
 * before RoPE; biases only with attention_bias; Qwen2's sliding-window options, refused likewise.
 */
import { LLAMA_FAMILY_IGNORED, llamaFamilyLayout, parseLlamaFamily } from './llama';
import { rejectSlidingWindow } from './qwen2';
import type { ArchitectureModule, TinyConfigInput } from './types';

/** Qwen3-0.6B's fields at tiny sizes. */
function tinyConfig(t: TinyConfigInput) {
  return {
    architectures: ['Qwen3ForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: t.tokenIds['<|endoftext|>'],
    eos_token_id: t.tokenIds['<|im_end|>'],
    head_dim: t.headDim,
    hidden_act: 'silu',
    hidden_size: t.hidden,
    initializer_range: 0.02,
    intermediate_size: t.intermediate,
    max_position_embeddings: t.maxPositions,
    max_window_layers: t.layers,
    model_type: 'qwen3',
    num_attention_heads: t.heads,
    num_hidden_layers: t.layers,
    num_key_value_heads: t.kvHeads,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 1000000,
    sliding_window: null,
    tie_word_embeddings: t.tied,
    use_sliding_window: false,
  };
}

export const qwen3: ArchitectureModule = {
  id: 'qwen3',
  hfArchitecture: 'Qwen3ForCausalLM',
  modelType: 'qwen3',
  // HF Qwen3Attention: q/k/v/o biases all follow attention_bias; the MLP has none.
  parseConfig: (f) => {
    const attentionBias = f.bool('attention_bias', false);
    return parseLlamaFamily(f, 'qwen3', {
      biases: { qkv: attentionBias, output: attentionBias, mlp: false },
      bosTokenId: null,
      eosTokenId: null,
      headDim: 128,
      check: rejectSlidingWindow,
    });
  },
  tensors: (spec) => llamaFamilyLayout(spec, { qkNorm: true }),
  ignoredTensors: LLAMA_FAMILY_IGNORED,
  tiny: { tiedByDefault: true, tokenizer: 'qwen2', config: tinyConfig },
};
