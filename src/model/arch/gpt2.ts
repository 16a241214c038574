/**
 * GPT2LMHeadModel: learned positions, LayerNorm, tanh-GELU MLP, biases everywhere, Conv1D weights
 * stored [in, out] with q | k | v fused in c_attn.
 */
import type { ModelSpec } from '../spec';
import type { ConfigFields } from './config-fields';
import type { ArchitectureModule, Dim, LinearTensors, ModelTensors, NormTensors, TinyConfigInput } from './types';

const ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh'];

function parseConfig(f: ConfigFields): ModelSpec {
  const hiddenSize = f.int('n_embd');
  const numHeads = f.int('n_head');
  if (hiddenSize % numHeads !== 0) {
    throw new Error(`${f.source}: n_embd ${hiddenSize} is not divisible by n_head ${numHeads}; every head must get the same number of dimensions. Check the file or download it again.`);
  }
  const activation = f.string('activation_function', 'gelu_new');
  if (!ACTIVATIONS.includes(activation)) {
    throw new Error(
      `${f.source}: activation_function ${activation} is not supported; GPT2LMHeadModel is loaded with the tanh GELU (${ACTIVATIONS.join(' or ')}). Pick a GPT-2 model that uses it.`,
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

/** GPT2LMHeadModel saves under "transformer."; the original gpt2 checkpoints (GPT2Model) have no prefix. */
function prefix(has?: (name: string) => boolean): string {
  return has && !has('transformer.wte.weight') && has('wte.weight') ? '' : 'transformer.';
}

function tensors(spec: ModelSpec, has?: (name: string) => boolean): ModelTensors {
  const p = prefix(has);
  const H = spec.hiddenSize;
  const hidden: Dim = { n: H, why: `n_embd ${H}` };
  const inner: Dim = { n: spec.intermediateSize, why: spec.intermediateSize === 4 * H ? `4 × n_embd ${H}` : `n_inner ${spec.intermediateSize}` };
  const fused: Dim = { n: 3 * H, why: `3 × n_embd ${H}` };
  const conv = (name: string, inDim: Dim, outDim: Dim, trained = false, from = 0, to = outDim.n): LinearTensors => ({
    kind: 'linear',
    weight: { name: `${name}.weight`, dims: [inDim, outDim] },
    bias: { name: `${name}.bias`, dims: [outDim] },
    layout: { kind: 'conv1d', from, to },
    trained,
  });
  const norm = (name: string): NormTensors => ({ kind: 'norm', weight: { name: `${name}.weight`, dims: [hidden] }, bias: { name: `${name}.bias`, dims: [hidden] } });
  const vocab: Dim = { n: spec.vocabSize, why: `vocab_size ${spec.vocabSize}` };
  return {
    tokenEmbedding: { name: `${p}wte.weight`, dims: [vocab, hidden] },
    positionEmbedding: { name: `${p}wpe.weight`, dims: [{ n: spec.maxPositions, why: `n_positions ${spec.maxPositions}` }, hidden] },
    layers: Array.from({ length: spec.numLayers }, (_, i) => {
      const h = `${p}h.${i}`;
      return {
        attentionNorm: norm(`${h}.ln_1`),
        q: conv(`${h}.attn.c_attn`, hidden, fused, true, 0, H),
        k: conv(`${h}.attn.c_attn`, hidden, fused, true, H, 2 * H),
        qNorm: null,
        kNorm: null,
        v: conv(`${h}.attn.c_attn`, hidden, fused, false, 2 * H, 3 * H),
        o: conv(`${h}.attn.c_proj`, hidden, hidden),
        mlpNorm: norm(`${h}.ln_2`),
        postAttentionNorm: null,
        postMlpNorm: null,
        gate: null,
        up: conv(`${h}.mlp.c_fc`, hidden, inner),
        down: conv(`${h}.mlp.c_proj`, inner, hidden),
      };
    }),
    finalNorm: norm(`${p}ln_f`),
    lmHead: { name: 'lm_head.weight', dims: [vocab, hidden] },
  };
}

function tinyConfig(t: TinyConfigInput) {
  const endOfText = t.tokenIds['<|endoftext|>'];
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
    n_ctx: t.maxPositions,
    n_embd: t.hidden,
    n_head: t.heads,
    n_inner: null,
    n_layer: t.layers,
    n_positions: t.maxPositions,
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
    tie_word_embeddings: t.tied,
  };
}

/** The causal-mask buffer the original gpt2 checkpoint carries in every layer. */
function causalMask(n: number): Float32Array {
  return Float32Array.from({ length: n * n }, (_, i) => (i % n <= Math.floor(i / n) ? 1 : 0));
}

export const gpt2: ArchitectureModule = {
  id: 'gpt2',
  hfArchitecture: 'GPT2LMHeadModel',
  modelType: 'gpt2',
  parseConfig,
  tensors,
  ignoredTensors: [/(^|\.)attn\.(bias|masked_bias)$/],
  tiny: {
    tiedByDefault: true,
    tokenizer: 'gpt2',
    config: tinyConfig,
    layerBuffers: (layer, t) => [{ name: `transformer.h.${layer}.attn.bias`, shape: [1, 1, t.maxPositions, t.maxPositions], values: causalMask(t.maxPositions) }],
  },
};
