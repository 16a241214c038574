/**
 * The blocks of a decoder-only transformer on the engine, one function per block (as llm.c's
 * train_gpt2.c) so that each backward can later sit beside its forward. Every function releases what
 * it made and no longer needs; the residual stream h [B, T, C] is updated in place by the output
 * projections (matmul with accumulate adds x W + b into h), so no separate add kernel runs.
 */
import { attention } from '../engine/ops/attention';
import { gelu, swiglu } from '../engine/ops/activation';
import { embedding } from '../engine/ops/embedding';
import { matmul } from '../engine/ops/matmul';
import { layerNorm, rmsNorm } from '../engine/ops/norm';
import { accumulateInto } from '../engine/ops/optimizer';
import { rope } from '../engine/ops/rope';
import type { Engine } from '../engine/engine';
import { Tensor } from '../engine/tensor';
import type { LayerWeights, LinearWeights, ModelSpec, ModelWeights, NormWeights } from './spec';

/** The batch on the GPU, uploaded once per forward. */
export interface BatchTensors {
  readonly B: number;
  readonly T: number;
  /** [B, T] i32 */
  readonly ids: Tensor;
  /** [B, T] u32 */
  readonly keyMask: Tensor;
  /** [B, T] i32 */
  readonly positions: Tensor;
  /** [rotaryDim / 2] f32, RoPE models only. */
  readonly invFreq: Tensor | null;
}

/** y = x W + b, or h += x W + b when `residual` is given. */
function linear(e: Engine, x: Tensor, w: LinearWeights, residual?: Tensor): Tensor {
  return matmul(e, x, w.weight, { bias: w.bias ?? undefined, out: residual, accumulate: residual !== undefined });
}

/** h = wte[ids] (+ wpe[positions] for learned positions): [B, T, C]. */
export function embed(e: Engine, weights: ModelWeights, batch: BatchTensors): Tensor {
  const h = embedding(e, weights.tokenEmbedding, batch.ids);
  if (weights.positionEmbedding) {
    const p = embedding(e, weights.positionEmbedding, batch.positions);
    accumulateInto(e, h, p);
    p.release();
  }
  return h;
}

/** LayerNorm or RMSNorm over the last dim; the statistics a backward would keep are dropped here. */
export function normalize(e: Engine, spec: ModelSpec, w: NormWeights, x: Tensor): Tensor {
  if (spec.norm.kind === 'rmsnorm') {
    const { y, rstd } = rmsNorm(e, x, w.weight, spec.norm.eps);
    rstd.release();
    return y;
  }
  if (!w.bias) throw new Error('normalize: a LayerNorm without a bias tensor; the weights do not match the spec (norm: layernorm)');
  const { y, mean, rstd } = layerNorm(e, x, w.weight, w.bias, spec.norm.eps);
  mean.release();
  rstd.release();
  return y;
}

/** What attention leaves for the caller: q and k after RoPE and lse (for probabilities), and the heads' output. */
export interface SelfAttention {
  /** [B, T, Hq, D] */
  readonly q: Tensor;
  /** [B, T, Hkv, D] */
  readonly k: Tensor;
  /** [B, T, Hq, D] */
  readonly out: Tensor;
  /** [B, Hq, T] */
  readonly lse: Tensor;
}

/** q, k, v projections of x = norm(h), RoPE where the model uses it, causal attention with the key mask. */
export function selfAttention(e: Engine, spec: ModelSpec, layer: LayerWeights, x: Tensor, batch: BatchTensors): SelfAttention {
  const { B, T } = batch;
  const heads = (w: LinearWeights, H: number): Tensor => {
    const split = asShape(e, linear(e, x, w), [B, T, H, spec.headDim]);
    if (spec.positions.kind !== 'rope') return split;
    if (!batch.invFreq) throw new Error('selfAttention: a RoPE model needs the inverse frequencies uploaded with the batch');
    const rotated = rope(e, split, batch.positions, batch.invFreq, { layout: spec.positions.layout });
    split.release();
    return rotated;
  };
  const q = heads(layer.q, spec.numHeads);
  const k = heads(layer.k, spec.numKvHeads);
  const v = asShape(e, linear(e, x, layer.v), [B, T, spec.numKvHeads, spec.headDim]);
  const { out, lse } = attention(e, q, k, v, batch.keyMask);
  v.release();
  return { q, k, out, lse };
}

/**
 * The same buffer under another shape, owning it (a `reshape` view never releases its buffer): the
 * caller releases the result and forgets `t`.
 */
function asShape(e: Engine, t: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(t.reshape(shape).shape, t.dtype, t.buffer, e);
}

/** h += out Wo + bo, the attention heads' output projected back into the residual stream. */
export function attentionResidual(e: Engine, layer: LayerWeights, out: Tensor, h: Tensor): void {
  const [B, T, H, D] = out.shape;
  linear(e, out.reshape([B, T, H * D]), layer.o, h);
}

/** h += MLP(norm(h)): GPT-2's c_proj(gelu_tanh(c_fc(x))) or Llama's down(silu(gate(x)) * up(x)). */
export function mlpResidual(e: Engine, spec: ModelSpec, layer: LayerWeights, h: Tensor): void {
  const x = normalize(e, spec, layer.mlpNorm, h);
  let act: Tensor;
  if (spec.mlp === 'gelu') {
    const up = linear(e, x, layer.up);
    act = gelu(e, up);
    up.release();
  } else {
    if (!layer.gate) throw new Error('mlpResidual: a SwiGLU MLP without gate_proj weights; the weights do not match the spec (mlp: swiglu)');
    const gate = linear(e, x, layer.gate);
    const up = linear(e, x, layer.up);
    act = swiglu(e, gate, up);
    gate.release();
    up.release();
  }
  x.release();
  linear(e, act, layer.down, h);
  act.release();
}

/**
 * Logits [B, P, V'] of the chosen positions and vocabulary rows: gathers the P rows of each sequence
 * from h (viewed as [B * T, C], `flatRows` [B, P] holding b * T + t), then the final norm, then the
 * LM head restricted to the rows `vocab` (all V when null). Scoring a few label words thus costs
 * P * V' * C instead of T * V * C.
 */
export function logitsHead(e: Engine, spec: ModelSpec, weights: ModelWeights, h: Tensor, flatRows: Tensor, vocab: Tensor | null): Tensor {
  const C = h.shape[h.rank - 1];
  const picked = embedding(e, h.reshape([h.size / C, C]), flatRows);
  const x = normalize(e, spec, weights.finalNorm, picked);
  picked.release();
  const head = vocab ? embedding(e, weights.lmHead, vocab) : weights.lmHead;
  const logits = matmul(e, x, head, { transB: true });
  x.release();
  if (vocab) head.release();
  return logits;
}
