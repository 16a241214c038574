/**
 * Where each architecture keeps its weights in a Hugging Face checkpoint, and in which layout, so
 * the ONNX graph reads the fine-tuned tensors under their original names and shapes: GPT-2's
 * Conv1D weights are [in, out] with q, k, v fused in c_attn; nn.Linear weights are [out, in].
 */
import type { Architecture, ModelSpec } from '../model/spec';

/** A projection y = x W (+ b): the weight's name and its layout in the checkpoint. */
export interface Projection {
  readonly weight: string;
  readonly bias: string | null;
  /** 'conv1d': [in, out] (GPT-2); 'linear': [out, in] (nn.Linear). */
  readonly layout: 'conv1d' | 'linear';
  readonly inSize: number;
  readonly outSize: number;
}

export interface NormNames {
  readonly weight: string;
  readonly bias: string | null;
}

export interface LayerNames {
  readonly attentionNorm: NormNames;
  /** GPT-2's c_attn gives q | k | v in one product; Llama and Qwen2 have three projections. */
  readonly qkv: { readonly fused: Projection } | { readonly q: Projection; readonly k: Projection; readonly v: Projection };
  readonly o: Projection;
  readonly mlpNorm: NormNames;
  /** GPT-2: c_proj(gelu_new(c_fc(x))); Llama/Qwen2: down(silu(gate(x)) * up(x)). */
  readonly mlp: { readonly kind: 'gelu'; readonly up: Projection; readonly down: Projection } | { readonly kind: 'swiglu'; readonly gate: Projection; readonly up: Projection; readonly down: Projection };
}

export interface CheckpointNames {
  readonly tokenEmbedding: string;
  /** GPT-2's learned positions. */
  readonly positionEmbedding: string | null;
  readonly finalNorm: NormNames;
  /** [vocab, hidden]: the token embedding itself when the head is tied. */
  readonly lmHead: string;
  layer(l: number): LayerNames;
}

/** The architectures the exporter writes a graph for (every one the engine loads today). */
export const ONNX_ARCHITECTURES: readonly Architecture[] = ['gpt2', 'llama', 'qwen2'];

/**
 * The names of `spec`'s tensors in a checkpoint that holds `names`. GPT-2 checkpoints are written
 * with and without the "transformer." prefix; whichever the checkpoint uses is taken.
 */
export function checkpointNames(spec: ModelSpec, names: ReadonlySet<string>): CheckpointNames {
  switch (spec.architecture) {
    case 'gpt2':
      return gpt2Names(spec, names.has('transformer.wte.weight') ? 'transformer.' : '');
    case 'llama':
    case 'qwen2':
      return llamaNames(spec);
    default:
      throw new Error(
        `ONNX export: architecture ${(spec as ModelSpec).hfArchitecture} has no graph; the exporter writes ${ONNX_ARCHITECTURES.join(', ')} models. Pick a model of one of these architectures.`,
      );
  }
}

function gpt2Names(spec: ModelSpec, p: string): CheckpointNames {
  const H = spec.hiddenSize;
  const I = spec.intermediateSize;
  const conv = (name: string, inSize: number, outSize: number): Projection => ({ weight: `${name}.weight`, bias: `${name}.bias`, layout: 'conv1d', inSize, outSize });
  const layerNorm = (name: string): NormNames => ({ weight: `${name}.weight`, bias: `${name}.bias` });
  return {
    tokenEmbedding: `${p}wte.weight`,
    positionEmbedding: `${p}wpe.weight`,
    finalNorm: layerNorm(`${p}ln_f`),
    lmHead: spec.tieWordEmbeddings ? `${p}wte.weight` : 'lm_head.weight',
    layer: (l) => {
      const h = `${p}h.${l}`;
      return {
        attentionNorm: layerNorm(`${h}.ln_1`),
        qkv: { fused: conv(`${h}.attn.c_attn`, H, 3 * H) },
        o: conv(`${h}.attn.c_proj`, H, H),
        mlpNorm: layerNorm(`${h}.ln_2`),
        mlp: { kind: 'gelu', up: conv(`${h}.mlp.c_fc`, H, I), down: conv(`${h}.mlp.c_proj`, I, H) },
      };
    },
  };
}

function llamaNames(spec: ModelSpec): CheckpointNames {
  const H = spec.hiddenSize;
  const I = spec.intermediateSize;
  const q = spec.numHeads * spec.headDim;
  const kv = spec.numKvHeads * spec.headDim;
  const linear = (name: string, inSize: number, outSize: number, bias: boolean): Projection => ({
    weight: `${name}.weight`,
    bias: bias ? `${name}.bias` : null,
    layout: 'linear',
    inSize,
    outSize,
  });
  const rmsNorm = (name: string): NormNames => ({ weight: `${name}.weight`, bias: null });
  return {
    tokenEmbedding: 'model.embed_tokens.weight',
    positionEmbedding: null,
    finalNorm: rmsNorm('model.norm'),
    lmHead: spec.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight',
    layer: (l) => {
      const a = `model.layers.${l}.self_attn`;
      const m = `model.layers.${l}.mlp`;
      return {
        attentionNorm: rmsNorm(`model.layers.${l}.input_layernorm`),
        qkv: { q: linear(`${a}.q_proj`, H, q, spec.qkvBias), k: linear(`${a}.k_proj`, H, kv, spec.qkvBias), v: linear(`${a}.v_proj`, H, kv, spec.qkvBias) },
        o: linear(`${a}.o_proj`, q, H, spec.outputBias),
        mlpNorm: rmsNorm(`model.layers.${l}.post_attention_layernorm`),
        mlp: {
          kind: 'swiglu',
          gate: linear(`${m}.gate_proj`, H, I, spec.mlpBias),
          up: linear(`${m}.up_proj`, H, I, spec.mlpBias),
          down: linear(`${m}.down_proj`, I, H, spec.mlpBias),
        },
      };
    },
  };
}
