/**
 * Tiny models with random weights in the exact files a Hugging Face checkpoint has (config.json
 * with every field a real one carries, model.safetensors with HF's tensor names, dtypes and
 * layouts, tokenizer files), so tests and scripts go through the same loading code as real models.
 * Weights are reproducible from the seed; each tensor's values depend only on the seed and its name.
 */
import { randomArray } from '../../engine/random';
import { toHalfBits } from '../../engine/dtype';
import { encodeSafetensors, f32Bytes, type SafetensorsDType, type TensorToWrite } from '../safetensors';
import type { Architecture } from '../spec';
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

/** config.json, model.safetensors, tokenizer.json and tokenizer_config.json of a tiny model. */
export function tinyModelFiles(arch: Architecture, opts: TinyModelOptions = {}): Record<string, Uint8Array | string> {
  const tokenizer = tinyTokenizerFiles(arch, { spaceOnlyWords: opts.spaceOnlyWords });
  const ids = (JSON.parse(tokenizer.files['tokenizer.json']) as { model: { vocab: Record<string, number> } }).model.vocab;
  const layers = opts.layers ?? 2;
  const tied = opts.tied ?? arch !== 'qwen2';
  const dtype = opts.dtype ?? 'F32';
  const w = new TensorWriter(opts.seed ?? 0, dtype, opts.planted ?? []);
  let config: Record<string, unknown>;
  if (arch === 'gpt2') {
    config = gpt2Config(tokenizer.vocabSize, layers, tied, ids['<|endoftext|>'], dtype);
    gpt2Tensors(w, tokenizer.vocabSize, layers, tied);
  } else {
    const qwen2 = arch === 'qwen2';
    config = qwen2
      ? qwen2Config(tokenizer.vocabSize, layers, tied, ids['<|endoftext|>'], dtype)
      : llamaConfig(tokenizer.vocabSize, layers, tied, ids['<|im_start|>'], ids['<|im_end|>'], dtype);
    llamaTensors(w, tokenizer.vocabSize, layers, tied, qwen2);
  }
  const missing = opts.planted?.find((p) => !w.tensors.some((t) => t.name === p.tensor));
  if (missing) throw new Error(`tinyModelFiles: the ${arch} model has no tensor ${missing.tensor} to plant a value in`);
  return {
    'config.json': JSON.stringify(config, null, 2),
    'model.safetensors': encodeSafetensors(w.tensors, { format: 'pt' }),
    ...tokenizer.files,
  };
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
  ) {}

  matrix(name: string, shape: [number, number], scale = WEIGHT_SCALE): void {
    this.add(name, shape, randomArray(shape[0] * shape[1], tensorSeed(this.seed, name), scale), this.matrixDType);
  }

  bias(name: string, size: number): void {
    this.add(name, [size], randomArray(size, tensorSeed(this.seed, name), BIAS_SCALE), 'F32');
  }

  norm(name: string, size: number): void {
    this.add(name, [size], randomArray(size, tensorSeed(this.seed, name), NORM_SPREAD).map((v) => 1 + v), 'F32');
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

function gpt2Tensors(w: TensorWriter, vocab: number, layers: number, tied: boolean): void {
  // Prefixed as GPT2LMHeadModel.save_pretrained writes; the causal-mask buffers as the original gpt2 checkpoint has them.
  const p = 'transformer.';
  const inner = 4 * HIDDEN;
  w.matrix(`${p}wte.weight`, [vocab, HIDDEN], 1);
  w.matrix(`${p}wpe.weight`, [MAX_POSITIONS, HIDDEN], 0.5);
  for (let i = 0; i < layers; i++) {
    const h = `${p}h.${i}`;
    const layerNorm = (name: string) => {
      w.norm(`${name}.weight`, HIDDEN);
      w.bias(`${name}.bias`, HIDDEN);
    };
    // Conv1D weights are [in, out].
    const conv = (name: string, inSize: number, outSize: number) => {
      w.matrix(`${name}.weight`, [inSize, outSize]);
      w.bias(`${name}.bias`, outSize);
    };
    layerNorm(`${h}.ln_1`);
    w.add(`${h}.attn.bias`, [1, 1, MAX_POSITIONS, MAX_POSITIONS], causalMask(MAX_POSITIONS), 'F32');
    conv(`${h}.attn.c_attn`, HIDDEN, 3 * HIDDEN);
    conv(`${h}.attn.c_proj`, HIDDEN, HIDDEN);
    layerNorm(`${h}.ln_2`);
    conv(`${h}.mlp.c_fc`, HIDDEN, inner);
    conv(`${h}.mlp.c_proj`, inner, HIDDEN);
  }
  w.norm(`${p}ln_f.weight`, HIDDEN);
  w.bias(`${p}ln_f.bias`, HIDDEN);
  if (!tied) w.matrix('lm_head.weight', [vocab, HIDDEN], 1);
}

function llamaTensors(w: TensorWriter, vocab: number, layers: number, tied: boolean, qkvBias: boolean): void {
  // nn.Linear weights are [out, in].
  const linear = (name: string, inSize: number, outSize: number, bias: boolean) => {
    w.matrix(`${name}.weight`, [outSize, inSize]);
    if (bias) w.bias(`${name}.bias`, outSize);
  };
  w.matrix('model.embed_tokens.weight', [vocab, HIDDEN], 1);
  for (let i = 0; i < layers; i++) {
    const l = `model.layers.${i}`;
    w.norm(`${l}.input_layernorm.weight`, HIDDEN);
    linear(`${l}.self_attn.q_proj`, HIDDEN, HEADS * HEAD_DIM, qkvBias);
    linear(`${l}.self_attn.k_proj`, HIDDEN, KV_HEADS * HEAD_DIM, qkvBias);
    linear(`${l}.self_attn.v_proj`, HIDDEN, KV_HEADS * HEAD_DIM, qkvBias);
    linear(`${l}.self_attn.o_proj`, HEADS * HEAD_DIM, HIDDEN, false);
    w.norm(`${l}.post_attention_layernorm.weight`, HIDDEN);
    linear(`${l}.mlp.gate_proj`, HIDDEN, INTERMEDIATE, false);
    linear(`${l}.mlp.up_proj`, HIDDEN, INTERMEDIATE, false);
    linear(`${l}.mlp.down_proj`, INTERMEDIATE, HIDDEN, false);
  }
  w.norm('model.norm.weight', HIDDEN);
  if (!tied) w.matrix('lm_head.weight', [vocab, HIDDEN], 1);
}

function gpt2Config(vocab: number, layers: number, tied: boolean, endOfText: number, dtype: SafetensorsDType): Record<string, unknown> {
  return {
    activation_function: 'gelu_new',
    architectures: ['GPT2LMHeadModel'],
    attn_pdrop: 0.1,
    bos_token_id: endOfText,
    embd_pdrop: 0.1,
    eos_token_id: endOfText,
    initializer_range: 0.02,
    layer_norm_epsilon: 1e-5,
    model_type: 'gpt2',
    n_ctx: MAX_POSITIONS,
    n_embd: HIDDEN,
    n_head: HEADS,
    n_inner: null,
    n_layer: layers,
    n_positions: MAX_POSITIONS,
    reorder_and_upcast_attn: false,
    resid_pdrop: 0.1,
    scale_attn_by_inverse_layer_idx: false,
    scale_attn_weights: true,
    summary_activation: null,
    summary_first_dropout: 0.1,
    summary_proj_to_labels: true,
    summary_type: 'cls_index',
    summary_use_proj: true,
    task_specific_params: { 'text-generation': { do_sample: true, max_length: 50 } },
    tie_word_embeddings: tied,
    torch_dtype: TORCH_DTYPE[dtype],
    transformers_version: TRANSFORMERS_VERSION,
    use_cache: true,
    vocab_size: vocab,
  };
}

/** SmolLM2-135M-Instruct's fields at tiny sizes, with Llama 3.2's explicit head_dim. */
function llamaConfig(vocab: number, layers: number, tied: boolean, bos: number, eos: number, dtype: SafetensorsDType): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: bos,
    eos_token_id: eos,
    head_dim: HEAD_DIM,
    hidden_act: 'silu',
    hidden_size: HIDDEN,
    initializer_range: 0.02,
    intermediate_size: INTERMEDIATE,
    max_position_embeddings: MAX_POSITIONS,
    mlp_bias: false,
    model_type: 'llama',
    num_attention_heads: HEADS,
    num_hidden_layers: layers,
    num_key_value_heads: KV_HEADS,
    pretraining_tp: 1,
    rms_norm_eps: 1e-5,
    rope_scaling: null,
    rope_theta: 10000.0,
    tie_word_embeddings: tied,
    torch_dtype: TORCH_DTYPE[dtype],
    transformers_version: TRANSFORMERS_VERSION,
    use_cache: true,
    vocab_size: vocab,
  };
}

/** Qwen2.5's fields at tiny sizes (no head_dim: Qwen2 derives it). */
function qwen2Config(vocab: number, layers: number, tied: boolean, endOfText: number, dtype: SafetensorsDType): Record<string, unknown> {
  return {
    architectures: ['Qwen2ForCausalLM'],
    attention_dropout: 0.0,
    bos_token_id: endOfText,
    eos_token_id: endOfText,
    hidden_act: 'silu',
    hidden_size: HIDDEN,
    initializer_range: 0.02,
    intermediate_size: INTERMEDIATE,
    max_position_embeddings: MAX_POSITIONS,
    max_window_layers: layers,
    model_type: 'qwen2',
    num_attention_heads: HEADS,
    num_hidden_layers: layers,
    num_key_value_heads: KV_HEADS,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 1000000.0,
    sliding_window: MAX_POSITIONS,
    tie_word_embeddings: tied,
    torch_dtype: TORCH_DTYPE[dtype],
    transformers_version: TRANSFORMERS_VERSION,
    use_cache: true,
    use_mrope: false,
    use_sliding_window: false,
    vocab_size: vocab,
  };
}

function causalMask(n: number): Float32Array {
  return Float32Array.from({ length: n * n }, (_, i) => (i % n <= Math.floor(i / n) ? 1 : 0));
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
