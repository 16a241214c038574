/**
 * What the engine needs to know about a model, parsed from its config.json (see config.ts), and the
 * weights of a loaded model on the GPU (see weights.ts). One shape for all supported architectures:
 * GPT-2 (learned positions, LayerNorm, GELU MLP, biases everywhere), Llama-family (RoPE, RMSNorm,
 * SwiGLU, grouped-query attention), Qwen2 (Llama plus q/k/v biases) and Qwen3 (Llama plus QK-norm).
 */
import type { Tensor } from '../engine/tensor';
import type { Architecture } from './arch';
import type { VocabularyTable } from './vocabulary-table';

/** The registered architectures (arch/index.ts); each arch/ module describes its tensors and config. */
export type { Architecture } from './arch';

export type PositionEncoding =
  | { readonly kind: 'learned' }
  | {
      readonly kind: 'rope';
      readonly theta: number;
      /** Rotated dims per head (even, <= headDim); the rest pass through. */
      readonly rotaryDim: number;
      readonly layout: 'half' | 'interleaved';
      /** theta^(-2i/rotaryDim) after any rope_scaling in the config, length rotaryDim / 2. */
      readonly invFreq: Float32Array;
    };

export interface ModelSpec {
  readonly architecture: Architecture;
  /** As written in config.json, e.g. "LlamaForCausalLM". */
  readonly hfArchitecture: string;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly intermediateSize: number;
  readonly maxPositions: number;
  /** weightOffset 1: Gemma's RMSNorm, y = xhat * (1 + w); absent (0) elsewhere. */
  readonly norm: { readonly kind: 'layernorm' | 'rmsnorm'; readonly eps: number; readonly weightOffset?: number };
  /** 'gelu': GPT-2's tanh GELU (gelu_new) MLP; 'swiglu': down(silu(gate(x)) * up(x)); 'geglu': down(gelu_tanh(gate(x)) * up(x)) (Gemma). */
  readonly mlp: 'gelu' | 'swiglu' | 'geglu';
  readonly positions: PositionEncoding;
  /** Biases on the q, k, v projections (GPT-2, Qwen2, Llama with attention_bias). */
  readonly qkvBias: boolean;
  /** Bias on the attention output projection (GPT-2, Llama with attention_bias). */
  readonly outputBias: boolean;
  /** Biases on the MLP projections (GPT-2, Llama with mlp_bias). */
  readonly mlpBias: boolean;
  /** The LM head reuses the token embedding matrix. */
  readonly tieWordEmbeddings: boolean;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  /** Gemma 3's attention and embedding options; absent for the other architectures. */
  readonly gemma3?: Gemma3Options;
}

/** What Gemma 3 does beyond the shared fields (HF Gemma3TextConfig). */
export interface Gemma3Options {
  /** The token embeddings are multiplied by sqrt(hidden_size), rounded to f32 (HF rounds it to the weights' dtype). */
  readonly embeddingScale: number;
  /** query_pre_attn_scalar ** -0.5, instead of head_dim ** -0.5. */
  readonly attentionScale: number;
  /** sliding_window: a sliding layer's query i sees key j when i - window < j <= i. */
  readonly slidingWindow: number;
  /** Per layer, from layer_types (or sliding_window_pattern): sliding-window or full causal attention. */
  readonly layerTypes: readonly ('sliding_attention' | 'full_attention')[];
  /** RoPE of the sliding layers (rope_local_base_freq); `positions` is that of the full layers (rope_theta, rope_scaling). */
  readonly slidingPositions: PositionEncoding;
}

export interface NormWeights {
  readonly weight: Tensor;
  /** LayerNorm only. */
  readonly bias: Tensor | null;
}

/** y = x W + b with W stored [in, out] for every architecture (HF Linear weights are transposed on load). */
export interface LinearWeights {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
}

export interface LayerWeights {
  readonly attentionNorm: NormWeights;
  readonly q: LinearWeights;
  readonly k: LinearWeights;
  /** QK-norm (Qwen3): RMSNorm with a [head_dim] weight on each head of q and k, before RoPE; frozen. Null elsewhere. */
  readonly qNorm: NormWeights | null;
  readonly kNorm: NormWeights | null;
  readonly v: LinearWeights;
  readonly o: LinearWeights;
  readonly mlpNorm: NormWeights;
  /** Gemma 3's post_attention_layernorm / post_feedforward_layernorm, on a block's output before the residual add; null elsewhere. */
  readonly postAttentionNorm: NormWeights | null;
  readonly postMlpNorm: NormWeights | null;
  /** GPT-2: up = c_fc, down = c_proj, gate null. Llama/Qwen2: gate_proj, up_proj, down_proj. */
  readonly gate: LinearWeights | null;
  readonly up: LinearWeights;
  readonly down: LinearWeights;
}

export interface ModelWeights {
  /** [vocab, hidden], split into vocabulary chunks that each fit one buffer; readVocabularyTable gives the whole matrix. */
  readonly tokenEmbedding: VocabularyTable;
  /** [maxPositions, hidden], GPT-2 only. */
  readonly positionEmbedding: Tensor | null;
  readonly layers: readonly LayerWeights[];
  readonly finalNorm: NormWeights;
  /** [vocab, hidden]: one row per vocabulary word, so chosen rows can be gathered; the same object as tokenEmbedding when tied. */
  readonly lmHead: VocabularyTable;
}

/** The tensors of a checkpoint by HF name, read one at a time (safetensors.ts implements it). */
export interface TensorSource {
  /** Where the tensors come from, for messages, e.g. "model.safetensors" or "model-00001-of-00002.safetensors". */
  readonly label: string;
  names(): readonly string[];
  /** dtype as written in the file ("F32", "F16", "BF16"); undefined when the name is absent. */
  info(name: string): { readonly dtype: string; readonly shape: readonly number[]; readonly file: string } | undefined;
  /** The tensor's values widened to f32, in the file's layout (row-major over `shape`). */
  read(name: string): Promise<Float32Array>;
}
