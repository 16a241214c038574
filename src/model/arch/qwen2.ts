/** Qwen2ForCausalLM: Llama's layout (llama.ts) with q/k/v biases, and sliding-window options that are refused. */
import type { ConfigFields } from './config-fields';
import { LLAMA_FAMILY_IGNORED, llamaFamilyTensors, parseLlamaFamily } from './llama';
import type { ArchitectureModule, TinyConfigInput } from './types';

/** HF Qwen2 slides the window only when enabled, and then only in layers >= max_window_layers. */
export function rejectSlidingWindow(f: ConfigFields, numLayers: number, maxPositions: number): void {
  if (!f.bool('use_sliding_window', false) || !f.has('sliding_window')) return;
  const window = f.int('sliding_window');
  const firstSliding = f.nonNegativeInt('max_window_layers', 28);
  if (window >= maxPositions || firstSliding >= numLayers) return;
  throw new Error(
    `${f.source}: use_sliding_window is true with sliding_window ${window} < max_position_embeddings ${maxPositions} in layers ${firstSliding}..${numLayers - 1} (max_window_layers ${firstSliding}); sliding-window attention is not implemented. Pick a model with use_sliding_window false.`,
  );
}

/** Qwen2.5's fields at tiny sizes (no head_dim: Qwen2 derives it). */
function tinyConfig(t: TinyConfigInput) {
  const endOfText = t.tokenIds['<|endoftext|>'];
  return {
    architectures: ['Qwen2ForCausalLM'],
    attention_dropout: 0.0,
    bos_token_id: endOfText,
    eos_token_id: endOfText,
    hidden_act: 'silu',
    hidden_size: t.hidden,
    initializer_range: 0.02,
    intermediate_size: t.intermediate,
    max_position_embeddings: t.maxPositions,
    max_window_layers: t.layers,
    model_type: 'qwen2',
    num_attention_heads: t.heads,
    num_hidden_layers: t.layers,
    num_key_value_heads: t.kvHeads,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 1000000.0,
    sliding_window: t.maxPositions,
    tie_word_embeddings: t.tied,
    use_mrope: false,
    use_sliding_window: false,
  };
}

export const qwen2: ArchitectureModule = {
  id: 'qwen2',
  hfArchitecture: 'Qwen2ForCausalLM',
  modelType: 'qwen2',
  // Qwen2 always has q/k/v biases and never an o or MLP bias, whatever attention_bias says.
  parseConfig: (f) =>
    parseLlamaFamily(f, 'qwen2', { biases: { qkv: true, output: false, mlp: false }, bosTokenId: null, eosTokenId: null, check: rejectSlidingWindow }),
  tensors: llamaFamilyTensors,
  ignoredTensors: LLAMA_FAMILY_IGNORED,
  tiny: { tiedByDefault: false, tokenizer: 'qwen2', config: tinyConfig },
};
