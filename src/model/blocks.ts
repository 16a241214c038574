/**
 * The blocks of a decoder-only transformer on the engine, one function per block with its backward
 * beside it (as llm.c's train_gpt2.c). A forward block returns what its backward reads; the caller
 * keeps it on the tape or lets its scope (scope.ts) free it, and each block frees its own
 * intermediates by a scope of its own. The residual stream h [B, T, C] is updated in place by the output projections (matmul with accumulate
 * adds x W + b into h), and its gradient dh likewise, so no separate add kernel runs. The backward
 * computes weight gradients only for the trainable weights it is handed (see grads.ts, LayerGrads
 * and ModelGrads): frozen weights only pass the gradient on to their input, and a gradient nobody
 * asked for costs no launch (ABFT's q/k path runs exactly what it ran before full training existed).
 */
import { attention, attentionBackward, type AttentionOptions, type AttentionProbsGrad } from '../engine/ops/attention';
import { geglu, gegluBackward, gelu, geluBackward, swiglu, swigluBackward } from '../engine/ops/activation';
import { embedding, embeddingBackward } from '../engine/ops/embedding';
import { matmul, matmulBackward, matmulBiasGelu } from '../engine/ops/matmul';
import { layerNorm, layerNormBackward, rmsNorm, rmsNormBackward } from '../engine/ops/norm';
import { accumulateInto } from '../engine/ops/optimizer';
import { rope, ropeBackward } from '../engine/ops/rope';
import type { Engine } from '../engine/engine';
import { Tensor } from '../engine/tensor';
import type { LayerGrads, LinearGrad, ModelGrads, NormGrad } from './grads';
import { scope } from './scope';
import type { LayerWeights, LinearWeights, ModelSpec, ModelWeights, NormWeights } from './spec';
import { gatherVocabularyRows, vocabularyLogits, vocabularyLogitsBackward, vocabularyLogitsWeightGrad, type VocabularyTable } from './vocabulary-table';

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
  /** Gemma 3's sliding layers' inverse frequencies (rope_local_base_freq); absent elsewhere. */
  readonly slidingInvFreq?: Tensor;
}

/**
 * How layer l attends: the batch with the RoPE frequencies it rotates by and the attention's options.
 * The same for every layer but in Gemma 3, whose scale is query_pre_attn_scalar ** -0.5 and whose
 * sliding layers see a window of keys and rotate by their own frequencies (rope_local_base_freq).
 */
export function layerAttention(spec: ModelSpec, batch: BatchTensors, l: number): { batch: BatchTensors; opts: AttentionOptions } {
  const g = spec.gemma3;
  if (!g) return { batch, opts: {} };
  if (g.layerTypes[l] !== 'sliding_attention') return { batch, opts: { scale: g.attentionScale } };
  return { batch: { ...batch, invFreq: batch.slidingInvFreq ?? null }, opts: { scale: g.attentionScale, window: g.slidingWindow } };
}

/** y = x W + b, or h += x W + b when `residual` is given. */
export function linear(e: Engine, x: Tensor, w: LinearWeights, residual?: Tensor): Tensor {
  return matmul(e, x, w.weight, { bias: w.bias ?? undefined, out: residual, accumulate: residual !== undefined });
}

/**
 * dx = dy W^T, or dx += dy W^T into `into`: the input gradient of a projection. Several projections
 * read the same x (q, k, v; gate, up), so their gradients are summed in place instead of added after.
 */
export function linearInputGrad(e: Engine, dy: Tensor, w: LinearWeights, into?: Tensor): Tensor {
  return matmul(e, dy, w.weight, { transB: true, out: into, accumulate: into !== undefined });
}

/** dW += x^T dy and db += the column sums of dy, into a trainable projection's gradient; x [N, in], dy [N, out]. */
export function linearWeightGrad(e: Engine, x: Tensor, w: LinearWeights, dy: Tensor, grad: LinearGrad): void {
  scope(e, () => {
    const { dBias } = matmulBackward(e, x, w.weight, dy, { needA: false, needBias: grad.bias !== null, dBOut: grad.weight, accumulateB: true });
    if (grad.bias && dBias) accumulateInto(e, grad.bias, dBias);
  });
}

/** [..., C] as [rows, C]: the rows of a weight gradient's product. */
export function rowsView(t: Tensor): Tensor {
  const C = t.shape[t.rank - 1];
  return t.reshape([t.size / C, C]);
}

/** h = wte[ids] (+ wpe[positions] for learned positions): [B, T, C]. */
export function embed(e: Engine, spec: ModelSpec, weights: ModelWeights, batch: BatchTensors): Tensor {
  return scope(e, () => {
    const h = gatherVocabularyRows(e, weights.tokenEmbedding, batch.ids, spec.gemma3?.embeddingScale);
    if (weights.positionEmbedding) accumulateInto(e, h, embedding(e, weights.positionEmbedding, batch.positions));
    return h;
  });
}

/**
 * Backward of `embed` from dh [B, T, C], the gradient of the layers' input: each token's row of dh
 * (times Gemma's scale) summed into its embedding row, in the chunk that holds it, and into the
 * position embedding row of its position (GPT-2). Padding tokens add their gradient too, which
 * is zero: nothing reads their hidden states (masked keys, ignored targets).
 */
export function embedBackward(e: Engine, spec: ModelSpec, weights: ModelWeights, batch: BatchTensors, dh: Tensor, grads: ModelGrads): void {
  const dRows = rowsView(dh);
  const table = weights.tokenEmbedding;
  const scale = spec.gemma3?.embeddingScale;
  grads.tokenEmbedding.forEach((g, i) => embeddingBackward(e, batch.ids, dRows, g.shape[0], { firstRow: i * table.chunkRows, out: g, accumulate: true, scale }));
  if (grads.positionEmbedding) embeddingBackward(e, batch.positions, dRows, grads.positionEmbedding.shape[0], { out: grads.positionEmbedding, accumulate: true });
}

/** What a norm's backward reads: its input and row statistics. */
export interface NormSaved {
  /** The input [..., C], owned by the saver (a copy when it is the residual stream, which later blocks update in place). */
  readonly x: Tensor;
  /** LayerNorm only. */
  readonly mean: Tensor | null;
  readonly rstd: Tensor;
}

/**
 * LayerNorm or RMSNorm over the last dim, with the statistics its backward reads; `saved.x` is `x`
 * itself, so a caller that keeps `saved` keeps `x` unchanged until the backward.
 */
export function normalize(e: Engine, spec: ModelSpec, w: NormWeights, x: Tensor): { y: Tensor; saved: NormSaved } {
  if (spec.norm.kind === 'rmsnorm') {
    const { y, rstd } = rmsNorm(e, x, w.weight, spec.norm.eps, { weightOffset: spec.norm.weightOffset });
    return { y, saved: { x, mean: null, rstd } };
  }
  if (!w.bias) throw new Error('normalize: a LayerNorm without a bias tensor; the weights do not match the spec (norm: layernorm)');
  const { y, mean, rstd } = layerNorm(e, x, w.weight, w.bias, spec.norm.eps);
  return { y, saved: { x, mean, rstd } };
}

/** dx from dy; with `grad` (a trained norm) dW (+ db) are summed into it, else the weights are frozen and get none. */
export function normalizeBackward(e: Engine, spec: ModelSpec, w: NormWeights, saved: NormSaved, dy: Tensor, grad?: NormGrad): Tensor {
  const needWeightGrads = grad !== undefined;
  if (spec.norm.kind === 'rmsnorm') {
    const { dx, dWeight } = rmsNormBackward(e, saved.x, w.weight, saved.rstd, dy, { weightOffset: spec.norm.weightOffset, needWeightGrads });
    if (grad) sumInto(e, grad.weight, dWeight!);
    return dx;
  }
  if (!saved.mean) throw new Error('normalizeBackward: a LayerNorm saved without its means; save it with normalize');
  const { dx, dWeight, dBias } = layerNormBackward(e, saved.x, w.weight, saved.mean, saved.rstd, dy, { needWeightGrads });
  if (grad) {
    sumInto(e, grad.weight, dWeight!);
    if (!grad.bias) throw new Error('normalizeBackward: a LayerNorm gradient without its bias; make the gradients with createTrainableGrads');
    sumInto(e, grad.bias, dBias!);
  }
  return dx;
}

/** acc += g, then frees g (a weight gradient's one-off partial). */
function sumInto(e: Engine, acc: Tensor, g: Tensor): void {
  accumulateInto(e, acc, g);
  g.release();
}

/** What attention leaves: q and k after QK-norm and RoPE, v, lse (for probabilities and the backward) and the heads' output. */
export interface AttentionSaved {
  /** [B, T, Hq, D] */
  readonly q: Tensor;
  /** [B, T, Hkv, D] */
  readonly k: Tensor;
  /** [B, T, Hq, D] */
  readonly out: Tensor;
  /** [B, T, Hkv, D] */
  readonly v: Tensor;
  /** [B, Hq, T] */
  readonly lse: Tensor;
  /** QK-norm's inputs and statistics (Qwen3); null without QK-norm. */
  readonly qNorm: NormSaved | null;
  readonly kNorm: NormSaved | null;
}

/** q, k, v projections of x = norm(h) [B, T, C], QK-norm and RoPE where the model uses them, causal attention with the key mask. */
export function selfAttention(e: Engine, spec: ModelSpec, layer: LayerWeights, x: Tensor, batch: BatchTensors, l: number): AttentionSaved {
  const { B, T } = batch;
  const { batch: layerBatch, opts } = layerAttention(spec, batch, l);
  const { heads: q, norm: qNorm } = projectedHeads(e, spec, layerBatch, x, layer.q, layer.qNorm, spec.numHeads, batch.positions);
  const { heads: k, norm: kNorm } = projectedHeads(e, spec, layerBatch, x, layer.k, layer.kNorm, spec.numKvHeads, batch.positions);
  const v = linear(e, x, layer.v).reshape([B, T, spec.numKvHeads, spec.headDim]);
  const { out, lse } = attention(e, q, k, v, batch.keyMask, opts);
  return { q, k, v, out, lse, qNorm, kNorm };
}

/**
 * The heads [B, T', H, D] of x [B, T', C] through the projection `w`: QK-norm (an RMSNorm of each
 * head, `norm` [D], Qwen3) where the model has it, then RoPE at `positions` where it uses it; with
 * what QK-norm's backward reads (the projection's output and the heads' statistics), else null.
 */
export function projectedHeads(
  e: Engine,
  spec: ModelSpec,
  batch: BatchTensors,
  x: Tensor,
  w: LinearWeights,
  norm: NormWeights | null,
  H: number,
  positions: Tensor,
): { heads: Tensor; norm: NormSaved | null } {
  const [B, T] = x.shape;
  return scope(e, () => {
    const projected = linear(e, x, w).reshape([B, T, H, spec.headDim]);
    if (!norm) return { heads: rotated(e, spec, batch, () => projected, positions), norm: null };
    const { y, rstd } = rmsNorm(e, projected, norm.weight, spec.norm.eps, { weightOffset: spec.norm.weightOffset });
    return { heads: rotated(e, spec, batch, () => y, positions), norm: { x: projected, mean: null, rstd } };
  });
}

/**
 * Backward of `projectedHeads` from d [B, T', H, D] (released): back through RoPE and QK-norm (its
 * weight's gradient summed into `normGrad` when trained), to the gradient of the projection's output.
 */
export function projectedHeadsBackward(
  e: Engine,
  spec: ModelSpec,
  batch: BatchTensors,
  d: Tensor,
  norm: NormWeights | null,
  saved: NormSaved | null,
  positions: Tensor,
  normGrad?: NormGrad,
): Tensor {
  let grad = d;
  if (spec.positions.kind === 'rope') {
    grad = ropeBackward(e, d, positions, ropeFrequencies(batch), { layout: spec.positions.layout });
    d.release();
  }
  if (!norm) return grad;
  if (!saved) throw new Error('projectedHeadsBackward: QK-norm weights but no saved statistics; save them with projectedHeads');
  const { dx, dWeight } = rmsNormBackward(e, saved.x, norm.weight, saved.rstd, grad, { weightOffset: spec.norm.weightOffset, needWeightGrads: normGrad !== undefined });
  if (normGrad) sumInto(e, normGrad.weight, dWeight!);
  grad.release();
  return dx;
}

/** RoPE of what `make` returns ([B, T', H, D]) at `positions` [B, T'] where the model uses it, freeing the unrotated heads; else those. */
export function rotated(e: Engine, spec: ModelSpec, batch: BatchTensors, make: () => Tensor, positions: Tensor): Tensor {
  const kind = spec.positions;
  if (kind.kind !== 'rope') return make();
  return scope(e, () => rope(e, make(), positions, ropeFrequencies(batch), { layout: kind.layout }));
}

export function ropeFrequencies(batch: BatchTensors): Tensor {
  if (!batch.invFreq) throw new Error('selfAttention: a RoPE model needs the inverse frequencies uploaded with the batch');
  return batch.invFreq;
}

/** Where the attention block's gradient comes from: the heads' output (dOut) and/or the probabilities of chosen rows. */
export interface AttentionUpstream {
  /** [B, T, Hq, D] */
  readonly dOut?: Tensor;
  readonly probsGrad?: AttentionProbsGrad;
}

/**
 * Backward of `selfAttention` of layer l on x = norm(h) [B, T, C]: dq, dk, dv through the attention, RoPE
 * and QK-norm, dW (+ db) of the projections (and QK-norm weights) in `grads`, and dx = dq Wq^T + dk Wk^T + dv Wv^T
 * when `needDx` (not in layer 0 unless the embeddings are trained: nothing below reads it).
 */
export function selfAttentionBackward(
  e: Engine,
  spec: ModelSpec,
  layer: LayerWeights,
  x: Tensor,
  saved: AttentionSaved,
  batch: BatchTensors,
  l: number,
  upstream: AttentionUpstream,
  grads: LayerGrads,
  needDx: boolean,
): Tensor | null {
  const { B, T } = batch;
  const { q, k, v, out, lse } = saved;
  const { batch: layerBatch, opts } = layerAttention(spec, batch, l);
  const { dq, dk, dv } = attentionBackward(e, { q, k, v, out, lse, keyMask: batch.keyMask, ...upstream }, opts);
  const xRows = rowsView(x);
  const flowing: ['q' | 'k' | 'v', Tensor][] = [
    ['q', projectedHeadsBackward(e, spec, layerBatch, dq, layer.qNorm, saved.qNorm, batch.positions, grads.qNorm)],
    ['k', projectedHeadsBackward(e, spec, layerBatch, dk, layer.kNorm, saved.kNorm, batch.positions, grads.kNorm)],
  ];
  // v reaches the loss only through the heads' output: without dOut (ABFT's last layer) dv is zero.
  if (upstream.dOut) flowing.push(['v', dv]);
  else dv.release();
  let dx: Tensor | undefined;
  for (const [which, d] of flowing) {
    const w = layer[which];
    const grad = grads[which];
    const dy = d.reshape([B, T, d.shape[2] * d.shape[3]]);
    if (grad) linearWeightGrad(e, xRows, w, rowsView(dy), grad);
    if (needDx) dx = linearInputGrad(e, dy, w, dx);
    d.release();
  }
  return dx ?? null;
}

/**
 * The same buffer under another shape, owning it (a `reshape` view never releases its buffer): the
 * caller releases the result and forgets `t`.
 */
export function asShape(e: Engine, t: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(t.reshape(shape).shape, t.dtype, t.buffer, e, t.byteOffset);
}

/**
 * h += out Wo + bo, the attention heads' output projected back into the residual stream; in Gemma 3
 * h += norm(out Wo), and with `save` the post-attention norm's input and statistics are returned for
 * the backward (else null).
 */
export function attentionResidual(e: Engine, spec: ModelSpec, layer: LayerWeights, out: Tensor, h: Tensor, save = false): NormSaved | null {
  const [B, T, H, D] = out.shape;
  const x = out.reshape([B, T, H * D]);
  const post = layer.postAttentionNorm;
  if (!post) {
    linear(e, x, layer.o, h);
    return null;
  }
  return postNormResidual(e, spec, post, linear(e, x, layer.o), h, save);
}

/** h += norm(y) (Gemma 3's post-attention and post-MLP norms), with what the norm's backward reads when `save`. */
function postNormResidual(e: Engine, spec: ModelSpec, norm: NormWeights, y: Tensor, h: Tensor, save: boolean): NormSaved | null {
  return scope(e, () => {
    const { y: normed, saved } = normalize(e, spec, norm, y);
    accumulateInto(e, h, normed);
    return save ? saved : null;
  });
}

/**
 * dOut [B, T, Hq, D] = dy Wo^T, with dWo += out^T dy when `grads.o` (the o projection is trained); dy
 * is dh, or in Gemma 3 dh back through the post-attention norm (`post`, saved by attentionResidual;
 * its weight trained with `grads.postAttentionNorm`).
 */
export function attentionResidualBackward(e: Engine, spec: ModelSpec, layer: LayerWeights, out: Tensor, post: NormSaved | null, dh: Tensor, grads: LayerGrads = {}): Tensor {
  const [B, T, H, D] = out.shape;
  const dy = postNormBackward(e, spec, layer.postAttentionNorm, post, dh, grads.postAttentionNorm);
  if (grads.o) linearWeightGrad(e, out.reshape([B * T, H * D]), layer.o, rowsView(dy), grads.o);
  return asShape(e, linearInputGrad(e, dy, layer.o), out.shape);
}

/** The gradient of y in h += norm(y) from dh: dh itself where the model has no such norm. */
function postNormBackward(e: Engine, spec: ModelSpec, norm: NormWeights | null, saved: NormSaved | null, dh: Tensor, grad?: NormGrad): Tensor {
  if (!norm) return dh;
  if (!saved) throw new Error('backward: a post-norm without its saved input; save it in the forward');
  return normalizeBackward(e, spec, norm, saved, dh, grad);
}

/** The MLP's pre-activations: c_fc(x) for GPT-2 (gate null), gate(x) and up(x) for SwiGLU and GeGLU. */
interface MlpPre {
  readonly gate: Tensor | null;
  readonly up: Tensor;
}

/** What the MLP block's backward reads: the norm (with a copy of h), the pre-activations and Gemma 3's post-MLP norm (else null). */
export interface MlpSaved extends MlpPre {
  readonly norm: NormSaved;
  readonly post: NormSaved | null;
}

/**
 * h += MLP(norm(h)): GPT-2's c_proj(gelu_tanh(c_fc(x))), Llama's down(silu(gate(x)) * up(x)), or
 * Gemma 3's norm(down(gelu_tanh(gate(x)) * up(x))).
 * With `save`, returns what the backward reads, a copy of h before the block among it; else null.
 */
export function mlpResidual(e: Engine, spec: ModelSpec, layer: LayerWeights, h: Tensor, save: boolean): MlpSaved | null {
  return scope(e, () => {
    // norm(h) and, without `save`, its statistics are freed before the activation is made, as they are not kept.
    const { norm, act, ...pre } = scope(e, () => {
      const { y: x, saved } = normalize(e, spec, layer.mlpNorm, save ? copyOf(e, h) : h);
      const norm = save ? saved : null;
      if (spec.mlp === 'gelu' && layer.up.bias) {
        // c_fc writes gelu(x W + b), and the pre-activation too when GELU's backward will read it.
        const fused = matmulBiasGelu(e, x, layer.up.weight, layer.up.bias, { keepPre: save });
        return { norm, act: fused.act, gate: null, up: fused.pre };
      }
      return { norm, act: null, ...mlpPreActivations(e, spec, layer, x) };
    });
    // Without the fused GELU, mlpPreActivations made `up`.
    const inner = act ?? mlpActivation(e, spec, { gate: pre.gate, up: pre.up! });
    // Gemma 3: h += norm(MLP(x)); elsewhere the down projection adds into h.
    const down = linear(e, inner, layer.down, layer.postMlpNorm ? undefined : h);
    const post = layer.postMlpNorm ? postNormResidual(e, spec, layer.postMlpNorm, down, h, save) : null;
    return norm && pre.up ? { gate: pre.gate, up: pre.up, norm, post } : null;
  });
}

/** The MLP's activation of its pre-activations: gelu(up) for GPT-2, silu(gate) * up or gelu_tanh(gate) * up for the gated MLPs. */
function mlpActivation(e: Engine, spec: ModelSpec, pre: MlpPre): Tensor {
  if (!pre.gate) return gelu(e, pre.up);
  return (spec.mlp === 'geglu' ? geglu : swiglu)(e, pre.gate, pre.up);
}

function mlpPreActivations(e: Engine, spec: ModelSpec, layer: LayerWeights, x: Tensor): MlpPre {
  if (spec.mlp === 'gelu') return { gate: null, up: linear(e, x, layer.up) };
  if (!layer.gate) throw new Error('mlpResidual: a SwiGLU MLP without gate_proj weights; the weights do not match the spec (mlp: swiglu)');
  return { gate: linear(e, x, layer.gate), up: linear(e, x, layer.up) };
}

/**
 * Backward of `mlpResidual`: dh, the gradient of the block's output h + MLP(norm(h)), becomes
 * that of its input by adding what flows back through the MLP and norm; the weights in `grads` get
 * their gradients. The tape keeps neither norm(h) nor the activation (ABFT and the end-to-end
 * baseline never read them), so a trained MLP recomputes the two from what it keeps: one norm and
 * one elementwise pass, against the memory of two [B, T, ·] activations per layer.
 */
export function mlpResidualBackward(e: Engine, spec: ModelSpec, layer: LayerWeights, saved: MlpSaved, dh: Tensor, grads: LayerGrads = {}): void {
  scope(e, () => {
    const trainsProjections = grads.up !== undefined || grads.gate !== undefined || grads.down !== undefined;
    const x = trainsProjections ? rowsView(normalize(e, spec, layer.mlpNorm, saved.norm.x).y) : null;
    // The activation's gradients are freed before the norm's backward runs.
    const dx = scope(e, () => {
      const dy = postNormBackward(e, spec, layer.postMlpNorm, saved.post, dh, grads.postMlpNorm);
      if (grads.down) {
        const inner = mlpActivation(e, spec, saved);
        linearWeightGrad(e, rowsView(inner), layer.down, rowsView(dy), grads.down);
      }
      const dAct = linearInputGrad(e, dy, layer.down);
      if (!saved.gate) {
        const dPre = geluBackward(e, saved.up, dAct);
        if (grads.up) linearWeightGrad(e, x!, layer.up, rowsView(dPre), grads.up);
        return linearInputGrad(e, dPre, layer.up);
      }
      const { dGate, dUp } = (spec.mlp === 'geglu' ? gegluBackward : swigluBackward)(e, saved.gate, saved.up, dAct);
      // mlpPreActivations made `gate`, so the weights have it.
      if (grads.gate) linearWeightGrad(e, x!, layer.gate!, rowsView(dGate), grads.gate);
      if (grads.up) linearWeightGrad(e, x!, layer.up, rowsView(dUp), grads.up);
      return linearInputGrad(e, dUp, layer.up, linearInputGrad(e, dGate, layer.gate!));
    });
    accumulateInto(e, dh, normalizeBackward(e, spec, layer.mlpNorm, saved.norm, dx, grads.mlpNorm));
  });
}

/** A new tensor holding t's values now, for activations that are later updated in place. */
export function copyOf(e: Engine, t: Tensor): Tensor {
  const c = e.empty(t.shape, t.dtype);
  e.copy(t, c);
  return c;
}

/**
 * Logits [B, P, V'] of the chosen positions and vocabulary rows: gathers the P rows of each sequence
 * from h (viewed as [B * T, C], `flatRows` [B, P] holding b * T + t), then the final norm, then the
 * LM head restricted to the rows `vocab` (all V when null). Scoring a few label words thus costs
 * P * V' * C instead of T * V * C.
 */
/** What the head's backward reads: the final norm of the picked rows, and the LM-head rows scored. */
export interface HeadSaved {
  readonly norm: NormSaved;
  /**
   * The LM-head rows [V', C] gathered (owned) when a vocabulary subset is scored, with their ids
   * [V'] (for the head's own gradient), else the model's whole lmHead (not owned).
   */
  readonly head: { readonly rows: Tensor; readonly ids: Tensor } | { readonly table: VocabularyTable };
}

export function logitsHead(
  e: Engine,
  spec: ModelSpec,
  weights: ModelWeights,
  h: Tensor,
  flatRows: Tensor,
  vocab: Tensor | null,
): { logits: Tensor; saved: HeadSaved } {
  return scope(e, () => {
    const picked = embedding(e, rowsView(h), flatRows);
    const { y: x, saved: norm } = normalize(e, spec, weights.finalNorm, picked);
    if (vocab) {
      const rows = gatherVocabularyRows(e, weights.lmHead, vocab);
      return { logits: matmul(e, x, rows, { transB: true }), saved: { norm, head: { rows, ids: vocab } } };
    }
    const [B, P, C] = x.shape;
    // Owned under its own shape: the logits leave the forward for the caller, who releases them.
    const logits = asShape(e, vocabularyLogits(e, x.reshape([B * P, C]), weights.lmHead), [B, P, weights.lmHead.vocabSize]);
    return { logits, saved: { norm, head: { table: weights.lmHead } } };
  });
}

/**
 * dh [B, T, C] from dLogits [B, P, V'] of `logitsHead`: back through the LM-head rows and final
 * norm, then scattered to the picked rows (`flatRows` [B, P] into the B * T rows of h); zero
 * elsewhere. With `grads` (full training) the LM head (the embedding when tied) and the final norm
 * get their gradients too; without, they are frozen.
 */
export function logitsHeadBackward(
  e: Engine,
  spec: ModelSpec,
  weights: ModelWeights,
  saved: HeadSaved,
  flatRows: Tensor,
  dLogits: Tensor,
  hShape: readonly number[],
  grads: ModelGrads | null = null,
): Tensor {
  return scope(e, () => {
    const [B, P, V] = dLogits.shape;
    const head = saved.head;
    if (grads) headWeightGrads(e, spec, weights, saved, dLogits.reshape([B * P, V]), grads);
    const dx = 'rows' in head ? matmul(e, dLogits, head.rows) : vocabularyLogitsBackward(e, dLogits.reshape([B * P, V]), head.table).reshape([B, P, head.table.hidden]);
    const dPicked = normalizeBackward(e, spec, weights.finalNorm, saved.norm, dx, grads?.finalNorm);
    const C = hShape[hShape.length - 1];
    return embeddingBackward(e, flatRows, dPicked, hShape.reduce((p, d) => p * d, 1) / C).reshape(hShape);
  });
}

/** The LM head's gradient chunks: the embedding's when the head is tied to it. */
export function lmHeadGrads(grads: ModelGrads): readonly Tensor[] {
  return grads.lmHead ?? grads.tokenEmbedding;
}

/**
 * dW_head += dLogits^T x, x the final norm's output (recomputed from the saved input: the tape keeps
 * only what the input gradient needs). A scored vocabulary subset scatters its rows' gradients into
 * the chunks holding them; the whole vocabulary adds each chunk's columns' product into its chunk.
 */
function headWeightGrads(e: Engine, spec: ModelSpec, weights: ModelWeights, saved: HeadSaved, dLogits: Tensor, grads: ModelGrads): void {
  scope(e, () => {
    const x = rowsView(normalize(e, spec, weights.finalNorm, saved.norm.x).y);
    const head = saved.head;
    const table = weights.lmHead;
    const into = lmHeadGrads(grads);
    if ('rows' in head) {
      // [V', C] = dLogits^T x, then row v' into the chunk holding vocabulary id ids[v'].
      const dRows = matmul(e, dLogits, x, { transA: true });
      into.forEach((g, i) => embeddingBackward(e, head.ids, dRows, g.shape[0], { firstRow: i * table.chunkRows, out: g, accumulate: true }));
      return;
    }
    vocabularyLogitsWeightGrad(e, x, table, dLogits, into);
  });
}
