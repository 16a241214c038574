import { describe, expect, it } from 'vitest';
import { ropeInvFreq } from '../engine/ops/rope';
import { architectureModule } from './arch';
import { parseModelConfig } from './config';
import type { ModelSpec } from './spec';
import { GPT2, QWEN25_05B, QWEN3_06B, SMOLLM2_135M } from './known-configs';


/** Llama-3.2-1B-Instruct: llama3 RoPE scaling, explicit head_dim, a list of eos ids. */
const LLAMA32_1B = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.45.0.dev0',
  use_cache: true,
  vocab_size: 128256,
};

function rope(spec: ModelSpec) {
  if (spec.positions.kind !== 'rope') throw new Error(`expected RoPE, got ${spec.positions.kind}`);
  return spec.positions;
}

/** HF's _compute_llama3_parameters transcribed with its torch.where masks, in float64. */
function llama3Reference(theta: number, dim: number, factor: number, low: number, high: number, original: number): number[] {
  const lowFreqWavelen = original / low;
  const highFreqWavelen = original / high;
  return Array.from({ length: dim / 2 }, (_, j) => {
    const invFreq = 1.0 / Math.pow(theta, (2 * j) / dim);
    const wavelen = (2 * Math.PI) / invFreq;
    const llama = wavelen > lowFreqWavelen ? invFreq / factor : invFreq;
    const smoothFactor = (original / wavelen - low) / (high - low);
    const smoothed = ((1 - smoothFactor) * llama) / factor + smoothFactor * llama;
    const isMedium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
    return isMedium ? smoothed : llama;
  });
}

describe('parseModelConfig on real configs', () => {
  it('gpt2 (124M): HF defaults for n_inner and tie_word_embeddings, biases, LayerNorm, learned positions', () => {
    expect(parseModelConfig(GPT2)).toEqual({
      architecture: 'gpt2',
      hfArchitecture: 'GPT2LMHeadModel',
      vocabSize: 50257,
      hiddenSize: 768,
      numLayers: 12,
      numHeads: 12,
      numKvHeads: 12,
      headDim: 64,
      intermediateSize: 3072,
      maxPositions: 1024,
      norm: { kind: 'layernorm', eps: 1e-5 },
      mlp: 'gelu',
      positions: { kind: 'learned' },
      qkvBias: true,
      outputBias: true,
      mlpBias: true,
      tieWordEmbeddings: true,
      bosTokenId: 50256,
      eosTokenId: 50256,
    });
  });

  it('SmolLM2-135M: GQA 9/3, head_dim from hidden / heads, tied, rope_theta 100000', () => {
    const spec = parseModelConfig(SMOLLM2_135M);
    expect(spec).toMatchObject({
      architecture: 'llama',
      vocabSize: 49152,
      hiddenSize: 576,
      numLayers: 30,
      numHeads: 9,
      numKvHeads: 3,
      headDim: 64,
      intermediateSize: 1536,
      maxPositions: 8192,
      norm: { kind: 'rmsnorm', eps: 1e-5 },
      mlp: 'swiglu',
      qkvBias: false,
      outputBias: false,
      mlpBias: false,
      tieWordEmbeddings: true,
      bosTokenId: 0,
      eosTokenId: 0,
    });
    const r = rope(spec);
    expect([r.theta, r.rotaryDim, r.layout, r.invFreq.length]).toEqual([100000, 64, 'half', 32]);
    // The engine's unscaled frequencies; both round the float64 value once.
    expect(Array.from(r.invFreq)).toEqual(Array.from(ropeInvFreq(100000, 64)));
  });

  it('Qwen2.5-0.5B: q/k/v biases without an o bias, tied, sliding window off', () => {
    const spec = parseModelConfig(QWEN25_05B);
    expect(spec).toMatchObject({
      architecture: 'qwen2',
      hfArchitecture: 'Qwen2ForCausalLM',
      vocabSize: 151936,
      hiddenSize: 896,
      numLayers: 24,
      numHeads: 14,
      numKvHeads: 2,
      headDim: 64,
      intermediateSize: 4864,
      maxPositions: 32768,
      norm: { kind: 'rmsnorm', eps: 1e-6 },
      qkvBias: true,
      outputBias: false,
      mlpBias: false,
      tieWordEmbeddings: true,
      bosTokenId: 151643,
      eosTokenId: 151643,
    });
    expect(rope(spec).theta).toBe(1000000);
  });

  it('Qwen3-0.6B: head_dim 128 wider than hidden / heads, no biases, tied, QK-norm weights of [head_dim]', () => {
    const spec = parseModelConfig(QWEN3_06B);
    expect(spec).toMatchObject({
      architecture: 'qwen3',
      hfArchitecture: 'Qwen3ForCausalLM',
      vocabSize: 151936,
      hiddenSize: 1024,
      numLayers: 28,
      numHeads: 16,
      numKvHeads: 8,
      headDim: 128,
      intermediateSize: 3072,
      norm: { kind: 'rmsnorm', eps: 1e-6 },
      qkvBias: false,
      outputBias: false,
      mlpBias: false,
      tieWordEmbeddings: true,
      bosTokenId: 151643,
      eosTokenId: 151645,
    });
    expect(rope(spec).theta).toBe(1000000);
    const layer = architectureModule('qwen3').tensors(spec).layers[3];
    expect(layer.q.weight).toMatchObject({ name: 'model.layers.3.self_attn.q_proj.weight' });
    expect(layer.q.weight.dims.map((d) => d.n)).toEqual([2048, 1024]);
    expect(layer.qNorm?.weight.name).toBe('model.layers.3.self_attn.q_norm.weight');
    expect(layer.kNorm?.weight.dims.map((d) => d.n)).toEqual([128]);
    // Qwen3Config's defaults: head_dim 128 and attention_bias false; attention_bias gives q, k, v and o biases.
    const { head_dim: _h, attention_bias: _b, ...bare } = QWEN3_06B;
    expect(parseModelConfig(bare)).toMatchObject({ headDim: 128, qkvBias: false });
    expect(parseModelConfig({ ...QWEN3_06B, attention_bias: true })).toMatchObject({ qkvBias: true, outputBias: true, mlpBias: false });
    expect(() => parseModelConfig({ ...QWEN3_06B, use_sliding_window: true, sliding_window: 4096, max_window_layers: 20 })).toThrow(/sliding-window attention is not implemented/);
  });

  it('Llama-3.2-1B: llama3 rope_scaling matches a float64 re-derivation of HF, first eos id of a list', () => {
    const spec = parseModelConfig(LLAMA32_1B);
    expect([spec.headDim, spec.numKvHeads, spec.eosTokenId, spec.bosTokenId, spec.tieWordEmbeddings]).toEqual([64, 8, 128001, 128000, true]);
    const r = rope(spec);
    const expected = llama3Reference(500000, 64, 32, 1, 4, 8192);
    expect(Array.from(r.invFreq)).toEqual(expected.map(Math.fround));
    // The config must exercise all three bands: kept, interpolated and slowed down 32x.
    const unscaled = ropeInvFreq(500000, 64);
    const ratio = Array.from(r.invFreq, (f, i) => f / unscaled[i]);
    expect(ratio.filter((x) => Math.abs(x - 1) < 1e-6).length).toBeGreaterThan(0);
    expect(ratio.filter((x) => Math.abs(x - 1 / 32) < 1e-6).length).toBeGreaterThan(0);
    expect(ratio.filter((x) => x > 1 / 32 + 1e-6 && x < 1 - 1e-6).length).toBeGreaterThan(0);
  });

  it('linear scaling divides every frequency; transformers 5 rope_parameters are read too', () => {
    const linear = rope(parseModelConfig({ ...SMOLLM2_135M, rope_scaling: { type: 'linear', factor: 4 } }));
    expect(Array.from(linear.invFreq)).toEqual(Array.from({ length: 32 }, (_, i) => Math.fround(1 / 100000 ** ((2 * i) / 64) / 4)));
    const { rope_theta: _theta, rope_scaling: _scaling, ...rest } = LLAMA32_1B;
    const v5 = rope(parseModelConfig({ ...rest, rope_parameters: { ...LLAMA32_1B.rope_scaling, rope_theta: 500000 } }));
    expect(Array.from(v5.invFreq)).toEqual(Array.from(rope(parseModelConfig(LLAMA32_1B)).invFreq));
  });

  it('reads attention_bias and mlp_bias for Llama, partial_rotary_factor, and model_type without architectures', () => {
    const spec = parseModelConfig({ ...SMOLLM2_135M, attention_bias: true, mlp_bias: true, partial_rotary_factor: 0.5 });
    expect([spec.qkvBias, spec.outputBias, spec.mlpBias, rope(spec).rotaryDim, rope(spec).invFreq.length]).toEqual([true, true, true, 32, 16]);
    const qwen = parseModelConfig({ ...QWEN25_05B, attention_bias: true, tie_word_embeddings: false });
    expect([qwen.qkvBias, qwen.outputBias, qwen.tieWordEmbeddings]).toEqual([true, false, false]);
    const { architectures: _a, ...noArch } = GPT2;
    expect(parseModelConfig({ ...noArch, n_inner: 1000, tie_word_embeddings: false })).toMatchObject({ hfArchitecture: 'GPT2LMHeadModel', intermediateSize: 1000, tieWordEmbeddings: false });
    expect(parseModelConfig({ ...SMOLLM2_135M, tie_word_embeddings: undefined, bos_token_id: undefined })).toMatchObject({ tieWordEmbeddings: false, bosTokenId: 1 });
    expect(parseModelConfig({ ...QWEN25_05B, bos_token_id: null }).bosTokenId).toBeNull();
  });

  it('accepts Qwen2 sliding windows that never slide', () => {
    expect(() => parseModelConfig({ ...QWEN25_05B, use_sliding_window: true })).not.toThrow();
    expect(() => parseModelConfig({ ...QWEN25_05B, use_sliding_window: true, sliding_window: 4096, max_window_layers: 24 })).not.toThrow();
  });
});

describe('parseModelConfig errors', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', [1, 2], /^config\.json is not a JSON object \(it is the list \[1,2\]\)/],
    [
      'unknown architecture',
      { ...GPT2, architectures: ['BertForMaskedLM'] },
      /^config\.json: architecture BertForMaskedLM is not supported; supported: GPT2LMHeadModel, LlamaForCausalLM, Qwen2ForCausalLM/,
    ],
    ['architectures not a list', { ...GPT2, architectures: 'GPT2LMHeadModel' }, /architectures is "GPT2LMHeadModel"; expected a list/],
    ['no architectures, unknown model_type', { n_embd: 8, model_type: 'bert' }, /has no architectures list and model_type "bert"/],
    ['missing field', { ...SMOLLM2_135M, hidden_size: undefined }, /^config\.json: hidden_size is missing; LlamaForCausalLM needs it/],
    ['zero heads', { ...SMOLLM2_135M, num_attention_heads: 0 }, /num_attention_heads is 0; expected a positive integer/],
    ['fractional size', { ...GPT2, n_embd: 76.5 }, /n_embd is 76\.5; expected a positive integer/],
    ['string size', { ...GPT2, n_layer: '12' }, /n_layer is "12"; expected a positive integer/],
    ['negative eps', { ...GPT2, layer_norm_epsilon: -1 }, /layer_norm_epsilon is -1; expected a positive number/],
    ['bad eos', { ...SMOLLM2_135M, eos_token_id: ['x'] }, /eos_token_id is the list \["x"\]; expected a token id/],
    ['bad tie', { ...SMOLLM2_135M, tie_word_embeddings: 'yes' }, /tie_word_embeddings is "yes"; expected true or false/],
    ['heads not dividing n_embd', { ...GPT2, n_head: 7 }, /n_embd 768 is not divisible by n_head 7/],
    ['kv heads not dividing heads', { ...SMOLLM2_135M, num_key_value_heads: 4 }, /num_attention_heads 9 is not a multiple of num_key_value_heads 4/],
    ['heads not dividing hidden without head_dim', { ...SMOLLM2_135M, num_attention_heads: 7, num_key_value_heads: 7 }, /hidden_size 576 is not divisible by num_attention_heads 7, and there is no head_dim/],
    ['GPT-2 activation', { ...GPT2, activation_function: 'relu' }, /activation_function relu is not supported; .*gelu_new or gelu_pytorch_tanh/],
    ['inverse layer scaling', { ...GPT2, scale_attn_by_inverse_layer_idx: true }, /scale_attn_by_inverse_layer_idx is true, .*not implemented/],
    ['reorder and upcast', { ...GPT2, reorder_and_upcast_attn: true }, /reorder_and_upcast_attn is true, .*not implemented/],
    ['unscaled attention', { ...GPT2, scale_attn_weights: false }, /scale_attn_weights is false, .*not implemented/],
    ['Llama activation', { ...SMOLLM2_135M, hidden_act: 'gelu' }, /hidden_act gelu is not supported/],
    ['yarn', { ...SMOLLM2_135M, rope_scaling: { rope_type: 'yarn', factor: 4 } }, /config\.json: rope_scaling: RoPE scaling type yarn is not supported; supported: default, linear, llama3/],
    ['dynamic (legacy type key)', { ...SMOLLM2_135M, rope_scaling: { type: 'dynamic', factor: 2 } }, /RoPE scaling type dynamic is not supported/],
    ['llama3 without factor', { ...LLAMA32_1B, rope_scaling: { ...LLAMA32_1B.rope_scaling, factor: undefined } }, /config\.json: rope_scaling: factor is missing/],
    ['llama3 bands', { ...LLAMA32_1B, rope_scaling: { ...LLAMA32_1B.rope_scaling, high_freq_factor: 1 } }, /high_freq_factor 1 must be larger than low_freq_factor 1/],
    ['rope_scaling not an object', { ...SMOLLM2_135M, rope_scaling: 'linear' }, /rope_scaling is "linear"; expected an object or null/],
    ['odd rotary dims', { ...SMOLLM2_135M, partial_rotary_factor: 0.3 }, /partial_rotary_factor 0\.3 × head_dim 64 gives 19 rotary dimensions; expected an even number/],
    ['rotary factor above 1', { ...SMOLLM2_135M, partial_rotary_factor: 1.5 }, /gives 96 rotary dimensions; expected an even number from 2 to head_dim/],
    [
      'Qwen2 sliding window',
      { ...QWEN25_05B, use_sliding_window: true, sliding_window: 4096, max_window_layers: 21 },
      /use_sliding_window is true with sliding_window 4096 < max_position_embeddings 32768 in layers 21\.\.23 .*not implemented/,
    ],
  ];
  it.each(cases)('%s', (_, json, message) => {
    expect(() => parseModelConfig(json)).toThrow(message);
  });

  it('names the source it was given', () => {
    expect(() => parseModelConfig({ ...GPT2, n_head: 0 }, 'gpt2/config.json')).toThrow(/^gpt2\/config\.json: n_head is 0/);
  });
});
