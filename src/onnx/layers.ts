/**
 * The blocks of a decoder layer as standard ONNX ops (opset 17), each written to compute what HF
 * transformers' modeling code computes, in the same order of f32 operations where it matters
 * (src/model/reference/forward.ts is the float64 version of the same math). The residual stream is
 * kept as [N, hidden] with N = batch × sequence, so projections are plain 2-D Gemms on the
 * checkpoint's weights in their stored layout.
 */
import type { GraphBuilder } from './graph';
import type { NormNames, Projection } from './hf-names';

/** y = x W + b as one Gemm; nn.Linear's [out, in] weight is read transposed (transB), Conv1D's [in, out] as it is. */
export function projection(g: GraphBuilder, x: string, p: Projection): string {
  const weight = g.weight(p.weight, p.layout === 'linear' ? [p.outSize, p.inSize] : [p.inSize, p.outSize]);
  const inputs = p.bias ? [x, weight, g.weight(p.bias, [p.outSize])] : [x, weight];
  return g.op('Gemm', inputs, { transB: p.layout === 'linear' ? 1 : 0 });
}

/** GPT-2's LayerNorm over the last axis. */
export function layerNorm(g: GraphBuilder, x: string, names: NormNames, size: number, eps: number): string {
  if (!names.bias) throw new Error(`onnx graph: LayerNorm ${names.weight} needs a bias`);
  return g.op('LayerNormalization', [x, g.weight(names.weight, [size]), g.weight(names.bias, [size])], { axis: -1, epsilon: { float: eps } });
}

/**
 * LlamaRMSNorm: w * (x / sqrt(mean(x²) + eps)), spelled in primitive ops (RMSNormalization is opset 23).
 * weightOffset 1 is Gemma3RMSNorm's (1 + w): the checkpoint stores w, so the graph adds the 1
 * (onnxruntime folds it into a constant when the session is built).
 */
export function rmsNorm(g: GraphBuilder, x: string, names: NormNames, size: number, eps: number, weightOffset = 0): string {
  return g.within('rms_norm', () => {
    const meanSquare = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const inverse = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [meanSquare, g.scalar(eps)])])]);
    const weight = g.weight(names.weight, [size]);
    const scale = weightOffset ? g.op('Add', [g.scalar(weightOffset), weight]) : weight;
    return g.op('Mul', [scale, g.op('Mul', [x, inverse])]);
  });
}

/** gelu_new: 0.5 x (1 + tanh(sqrt(2 / π) (x + 0.044715 x³))); ONNX's Gelu with approximate="tanh" is opset 20. */
export function geluTanh(g: GraphBuilder, x: string): string {
  return g.within('gelu_new', () => {
    const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
    const inner = g.op('Mul', [g.scalar(Math.sqrt(2 / Math.PI)), g.op('Add', [x, g.op('Mul', [g.scalar(0.044715), cube])])]);
    return g.op('Mul', [g.op('Mul', [g.scalar(0.5), x]), g.op('Add', [g.scalar(1), g.op('Tanh', [inner])])]);
  });
}

/** Gemma3MLP's gate: gelu_pytorch_tanh(gate) * up (the same tanh GELU as GPT-2's gelu_new). */
export function geglu(g: GraphBuilder, gate: string, up: string): string {
  return g.op('Mul', [geluTanh(g, gate), up]);
}

/** silu(gate) * up, silu(x) = x σ(x). */
export function swiglu(g: GraphBuilder, gate: string, up: string): string {
  return g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
}

/**
 * rotate_half RoPE on x [B, S, heads, D] with cos, sin [B, S, 1, rotaryDim / 2]: the first rotaryDim
 * dimensions are rotated as pairs (i, i + rotaryDim / 2), the rest pass through (partial rotary).
 */
export function rope(g: GraphBuilder, x: string, cos: string, sin: string, headDim: number, rotaryDim: number): string {
  return g.within('rope', () => {
    const half = rotaryDim / 2;
    const sizes = rotaryDim < headDim ? [half, half, headDim - rotaryDim] : [half, half];
    const [x1, x2, rest] = g.node('Split', [x, g.ints(sizes)], { axis: -1 }, sizes.length);
    const y1 = g.op('Sub', [g.op('Mul', [x1, cos]), g.op('Mul', [x2, sin])]);
    const y2 = g.op('Add', [g.op('Mul', [x2, cos]), g.op('Mul', [x1, sin])]);
    return g.op('Concat', rest ? [y1, y2, rest] : [y1, y2], { axis: -1 });
  });
}

export interface AttentionShapes {
  /** [2] int64: the batch and sequence sizes of this call (Shape of input_ids). */
  readonly batchAndSequence: string;
  /** [B, 1, 1, S, T] bool: true where a query must not see a key (a later position, padding, or outside a sliding window). */
  readonly blocked: string;
  /** What the scores q·k are multiplied by: head_dim^-0.5, or Gemma 3's query_pre_attn_scalar^-0.5. */
  readonly scale: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
}

/**
 * Scaled dot-product attention of q [B, S, Hq, D] over the cache plus this call's k, v [B, S, Hkv, D].
 * Returns the head outputs as [N, Hq·D] and the updated cache [B, Hkv, T, D] (what HF and Optimum
 * keep: key/value heads, not repeated). Grouped-query attention without copying keys: q is viewed as
 * [B, Hkv, group, S, D], and MatMul broadcasts each key/value head over its group.
 */
export function attention(
  g: GraphBuilder,
  s: AttentionShapes,
  q: string,
  k: string,
  v: string,
  past: { readonly key: string; readonly value: string },
): { out: string; presentKey: string; presentValue: string } {
  const group = s.numHeads / s.numKvHeads;
  const D = s.headDim;
  const toCache = (x: string) => g.op('Transpose', [x], { perm: [0, 2, 1, 3] });
  const presentKey = g.op('Concat', [past.key, toCache(k)], { axis: 2 });
  const presentValue = g.op('Concat', [past.value, toCache(v)], { axis: 2 });
  const grouped = g.op('Reshape', [q, g.op('Concat', [s.batchAndSequence, g.ints([s.numKvHeads, group, D])], { axis: 0 })]);
  const q5 = g.op('Transpose', [grouped], { perm: [0, 2, 3, 1, 4] });
  const k5 = g.op('Transpose', [g.op('Unsqueeze', [presentKey, g.ints([2])])], { perm: [0, 1, 2, 4, 3] });
  const v5 = g.op('Unsqueeze', [presentValue, g.ints([2])]);
  // HF multiplies the scores by its `scaling` after the product (head_dim^-0.5; GPT-2 divides by sqrt(head_dim)).
  const scores = g.op('Mul', [g.op('MatMul', [q5, k5]), g.scalar(s.scale)]);
  // The most negative f32, as HF's eager mask: a row with every key blocked (padding) stays finite.
  const masked = g.op('Where', [s.blocked, g.scalar(-3.4028234663852886e38), scores]);
  const probs = g.op('Softmax', [masked], { axis: -1 });
  const heads = g.op('Transpose', [g.op('MatMul', [probs, v5])], { perm: [0, 3, 1, 2, 4] });
  const out = g.op('Reshape', [heads, g.ints([-1, s.numHeads * D])]);
  return { out, presentKey, presentValue };
}
