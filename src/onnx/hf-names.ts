/**
 * Where each architecture keeps its weights in a Hugging Face checkpoint, and in which layout (as its
 * model/arch/ module describes them), so the ONNX graph reads the fine-tuned tensors under their original names and shapes: GPT-2's
 * Conv1D weights are [in, out] with q, k, v fused in c_attn; nn.Linear weights are [out, in].
 */
import { architectureModule, type Architecture } from '../model/arch';
import { engineShape, type LayerTensors, type LinearTensors, type NormTensors } from '../model/arch/types';
import type { ModelSpec } from '../model/spec';

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
  /** Qwen3's and Gemma 3's QK-norm: an RMSNorm of weight [head_dim] on every head of q and of k, before RoPE; null elsewhere. */
  readonly qkNorm: { readonly q: NormNames; readonly k: NormNames } | null;
  readonly o: Projection;
  /** Gemma 3's post_attention_layernorm, on the attention's output before the residual add; null elsewhere. */
  readonly postAttentionNorm: NormNames | null;
  readonly mlpNorm: NormNames;
  /** Gemma 3's post_feedforward_layernorm, on the MLP's output before the residual add; null elsewhere. */
  readonly postMlpNorm: NormNames | null;
  /** GPT-2: c_proj(gelu_new(c_fc(x))); Llama/Qwen2/Qwen3: down(silu(gate(x)) * up(x)); Gemma 3: down(gelu_tanh(gate(x)) * up(x)). */
  readonly mlp:
    | { readonly kind: 'gelu'; readonly up: Projection; readonly down: Projection }
    | { readonly kind: 'swiglu' | 'geglu'; readonly gate: Projection; readonly up: Projection; readonly down: Projection };
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

/** The architectures causal-lm.ts writes a graph for. */
const ONNX_ARCHITECTURES: readonly Architecture[] = ['gpt2', 'llama', 'qwen2', 'qwen3', 'gemma3'];

/**
 * The names of `spec`'s tensors in a checkpoint that holds `names`, from the architecture's tensor
 * description (model/arch/): whichever naming the checkpoint uses (GPT-2 with or without
 * "transformer.") is taken. q, k and v read from one tensor are one fused projection.
 */
export function checkpointNames(spec: ModelSpec, names: ReadonlySet<string>): CheckpointNames {
  if (!ONNX_ARCHITECTURES.includes(spec.architecture)) {
    throw new Error(
      `ONNX export: architecture ${spec.hfArchitecture} has no graph; the exporter writes ${ONNX_ARCHITECTURES.join(', ')} models. Pick a model of one of these architectures.`,
    );
  }
  const described = architectureModule(spec.architecture).tensors(spec, (name) => names.has(name));
  return {
    tokenEmbedding: described.tokenEmbedding.name,
    positionEmbedding: described.positionEmbedding?.name ?? null,
    finalNorm: normNames(described.finalNorm),
    lmHead: spec.tieWordEmbeddings ? described.tokenEmbedding.name : described.lmHead.name,
    layer: (l) => layerNames(spec, described.layers[l]),
  };
}

function layerNames(spec: ModelSpec, layer: LayerTensors): LayerNames {
  const { q, k, v } = layer;
  const fused = q.weight.name === k.weight.name && k.weight.name === v.weight.name;
  return {
    attentionNorm: normNames(layer.attentionNorm),
    qkv: fused ? { fused: projection(q, true) } : { q: projection(q), k: projection(k), v: projection(v) },
    qkNorm: layer.qNorm && layer.kNorm ? { q: normNames(layer.qNorm), k: normNames(layer.kNorm) } : null,
    o: projection(layer.o),
    postAttentionNorm: layer.postAttentionNorm ? normNames(layer.postAttentionNorm) : null,
    mlpNorm: normNames(layer.mlpNorm),
    postMlpNorm: layer.postMlpNorm ? normNames(layer.postMlpNorm) : null,
    mlp: layer.gate
      ? { kind: spec.mlp === 'geglu' ? 'geglu' : 'swiglu', gate: projection(layer.gate), up: projection(layer.up), down: projection(layer.down) }
      : { kind: 'gelu', up: projection(layer.up), down: projection(layer.down) },
  };
}

/** `whole`: the full tensor (all of a fused c_attn's columns), not this projection's slice. */
function projection(l: LinearTensors, whole = false): Projection {
  const [a, b] = l.weight.dims.map((d) => d.n);
  const [inSize, outSize] = l.layout.kind === 'linear' ? [b, a] : whole ? [a, b] : engineShape(l).weight;
  return { weight: l.weight.name, bias: l.bias?.name ?? null, layout: l.layout.kind, inSize, outSize };
}

function normNames(n: NormTensors): NormNames {
  return { weight: n.weight.name, bias: n.bias?.name ?? null };
}
