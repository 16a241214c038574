/**
 * The published config.json of the models this project is measured on, verbatim, so tests and
 * benchmarks can build their specs without a download (weights are then random).
 */

/** gpt2 (124M) config.json as published; no n_inner and no tie_word_embeddings, so HF's defaults apply. */
export const GPT2 = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  attn_pdrop: 0.1,
  bos_token_id: 50256,
  embd_pdrop: 0.1,
  eos_token_id: 50256,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  resid_pdrop: 0.1,
  summary_activation: null,
  summary_first_dropout: 0.1,
  summary_proj_to_labels: true,
  summary_type: 'cls_index',
  summary_use_proj: true,
  task_specific_params: { 'text-generation': { do_sample: true, max_length: 50 } },
  vocab_size: 50257,
};

export const SMOLLM2_135M = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 0,
  eos_token_id: 0,
  hidden_act: 'silu',
  hidden_size: 576,
  initializer_range: 0.041666666666666664,
  intermediate_size: 1536,
  is_llama_config: true,
  max_position_embeddings: 8192,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_interleaved: false,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.42.3',
  use_cache: true,
  vocab_size: 49152,
};

export const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: 'silu',
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 24,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.40.1',
  use_cache: true,
  use_mrope: false,
  use_sliding_window: false,
  vocab_size: 151936,
};

/** Qwen/Qwen3-0.6B config.json as published: head_dim 128 (q_proj [2048, 1024]), QK-norm, tied. */
export const QWEN3_06B = {
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 1024,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  model_type: 'qwen3',
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.51.0',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

/** google/gemma-3-270m config.json as published: 18 layers, every sixth full attention, the rest a 512-token sliding window. */
export const GEMMA3_270M = {
  _sliding_window_pattern: 6,
  architectures: ['Gemma3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  attn_logit_softcapping: null,
  bos_token_id: 2,
  eos_token_id: 1,
  final_logit_softcapping: null,
  head_dim: 256,
  hidden_activation: 'gelu_pytorch_tanh',
  hidden_size: 640,
  initializer_range: 0.02,
  intermediate_size: 2048,
  layer_types: Array.from({ length: 18 }, (_, i) => ((i + 1) % 6 ? 'sliding_attention' : 'full_attention')),
  max_position_embeddings: 32768,
  model_type: 'gemma3_text',
  num_attention_heads: 4,
  num_hidden_layers: 18,
  num_key_value_heads: 1,
  pad_token_id: 0,
  query_pre_attn_scalar: 256,
  rms_norm_eps: 1e-6,
  rope_local_base_freq: 10000.0,
  rope_scaling: null,
  rope_theta: 1000000.0,
  sliding_window: 512,
  torch_dtype: 'bfloat16',
  transformers_version: '4.55.0.dev0',
  use_bidirectional_attention: false,
  use_cache: true,
  vocab_size: 262144,
};

/** openai-community/gpt2-large, the paper's GPT2-L. */
export const GPT2_LARGE = { ...GPT2, n_embd: 1280, n_head: 20, n_layer: 36 };

export const KNOWN_CONFIGS: Readonly<Record<string, object>> = {
  'gpt2-124M': GPT2,
  'gpt2-large': GPT2_LARGE,
  'SmolLM2-135M': SMOLLM2_135M,
  'Qwen2.5-0.5B': QWEN25_05B,
  'Qwen3-0.6B': QWEN3_06B,
  'gemma-3-270m': GEMMA3_270M,
};

/** HuggingFaceTB/SmolLM2-360M config.json as published. */
export const SMOLLM2_360M = {
  ...SMOLLM2_135M,
  hidden_size: 960,
  initializer_range: 0.02,
  intermediate_size: 2560,
  num_attention_heads: 15,
  num_hidden_layers: 32,
  num_key_value_heads: 5,
};

/** openai-community/gpt2-medium (355M) config.json as published. */
export const GPT2_MEDIUM = { ...GPT2, n_embd: 1024, n_head: 16, n_layer: 24, n_special: 0, predict_special_tokens: true };
