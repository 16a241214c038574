/**
 * Float64 forward pass written from HF transformers' modeling code (GPT2LMHeadModel, LlamaForCausalLM,
 * Qwen2ForCausalLM, Qwen3ForCausalLM, Gemma3ForCausalLM), reading the checkpoint's tensors by the HF names of the architecture's
 * description (model/arch/) in their file layouts: GPT-2's Conv1D weights are [in, out] with q, k, v
 * fused in c_attn; nn.Linear weights are [out, in]; a tied LM head is the token embedding. It shares
 * the names with weights.ts but not the transposes and splits, so comparing the GPU forward against it
 * also checks the weight mapping. Options and output layouts are those of forward.ts.
 */
import { attentionFullRef, type AttentionDims } from '../../engine/reference/attention';
import { gegluRef, geluRef, swigluRef } from '../../engine/reference/activation';
import { layerNormRef, rmsNormRef } from '../../engine/reference/norm';
import { ropeRef } from '../../engine/reference/rope';
import type { TokenBatch } from '../batch';
import type { ForwardOptions } from '../forward';
import { architectureModule } from '../arch';
import type { LayerTensors, LinearTensors, NormTensors } from '../arch/types';
import type { ModelSpec, PositionEncoding } from '../spec';

export interface HfTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export type HfTensors = ReadonlyMap<string, HfTensor>;

export interface ReferenceResult {
  /** [B, P, V'] */
  readonly logits?: Float64Array;
  /** [B, H', R, T] per chosen layer. */
  readonly attention?: Float64Array[];
}

export function referenceForward(spec: ModelSpec, tensors: HfTensors, batch: TokenBatch, opts: ForwardOptions = {}): ReferenceResult {
  const names = architectureModule(spec.architecture).tensors(spec, (name) => tensors.has(name));
  const get = tensorGetter(tensors);
  const { B, T } = batch;
  const C = spec.hiddenSize;
  const N = B * T;

  const wte = get(names.tokenEmbedding.name, [spec.vocabSize, C]);
  const wpe = names.positionEmbedding ? get(names.positionEmbedding.name, [spec.maxPositions, C]) : null;
  const h = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    h.set(row(wte, clampId(batch.ids[n], spec.vocabSize), C), n * C);
    // Gemma3TextScaledWordEmbedding: times sqrt(hidden_size) in the weights' dtype.
    if (spec.gemma3) for (let c = 0; c < C; c++) h[n * C + c] *= spec.gemma3.embeddingScale;
    if (!wpe) continue;
    const p = row(wpe, batch.positions[n], C);
    for (let c = 0; c < C; c++) h[n * C + c] += p[c];
  }

  const lastLayer = opts.stopAfterAttentionOf ?? spec.numLayers - 1;
  const probLayers = opts.attention?.layers ?? Array.from({ length: lastLayer + 1 }, (_, l) => l);
  const attention: Float64Array[] = [];
  for (let l = 0; l <= lastLayer; l++) {
    const layer = names.layers[l];
    const x = norm(spec, get, layer.attentionNorm, h);
    const { q, k, v } = qkv(spec, get, layer, x, N, batch, l);
    const dims = { B, T, Hq: spec.numHeads, Hkv: spec.numKvHeads, D: spec.headDim, ...gemma3Attention(spec, l) };
    const { probs } = attentionFullRef(q, k, batch.keyMask, dims);
    if (opts.attention && probLayers.includes(l)) attention[probLayers.indexOf(l)] = pickProbs(probs, opts.attention.rows, opts.attention.heads, dims);
    if (l === opts.stopAfterAttentionOf) break;
    const heads = mixValues(probs, v, dims);
    // Gemma 3 normalises each block's output before the residual add.
    const post = (n: NormTensors | null, y: Float64Array) => (n ? norm(spec, get, n, y) : y);
    addInto(h, post(layer.postAttentionNorm, project(heads, N, get, layer.o)));
    const x2 = norm(spec, get, layer.mlpNorm, h);
    addInto(h, post(layer.postMlpNorm, mlp(spec, get, layer, x2, N)));
  }

  if (!opts.logits) return opts.attention ? { attention } : {};
  const P = opts.logits.rows.length / B;
  const picked = new Float64Array(B * P * C);
  opts.logits.rows.forEach((t, i) => picked.set(h.subarray((Math.floor(i / P) * T + t) * C, (Math.floor(i / P) * T + t + 1) * C), i * C));
  const y = norm(spec, get, names.finalNorm, picked);
  const head = spec.tieWordEmbeddings ? wte : get(names.lmHead.name, [spec.vocabSize, C]);
  const vocab = opts.logits.vocab ?? Int32Array.from({ length: spec.vocabSize }, (_, v) => v);
  const logits = new Float64Array(B * P * vocab.length);
  for (let r = 0; r < B * P; r++) {
    vocab.forEach((v, j) => {
      logits[r * vocab.length + j] = dot(y, r * C, head.data, v * C, C);
    });
  }
  return opts.attention ? { logits, attention } : { logits };
}

type Getter = (name: string, shape?: readonly number[]) => HfTensor;

function tensorGetter(tensors: HfTensors): Getter {
  return (name, shape) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`reference forward: the checkpoint has no tensor ${name}`);
    if (shape && t.shape.join() !== shape.join()) throw new Error(`reference forward: ${name} has shape [${t.shape}], expected [${shape}]`);
    return t;
  };
}

function clampId(id: number, V: number): number {
  return id >= 0 && id < V ? id : 0;
}

function row(t: HfTensor, r: number, C: number): Float64Array {
  return t.data.subarray(r * C, (r + 1) * C);
}

function dot(a: ArrayLike<number>, ia: number, b: ArrayLike<number>, ib: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ia + i] * b[ib + i];
  return s;
}

function addInto(h: Float64Array, y: Float64Array): void {
  for (let i = 0; i < h.length; i++) h[i] += y[i];
}

/**
 * x [rows, in] through a projection as the checkpoint stores it: an nn.Linear (weight [out, in]) or
 * a GPT-2 Conv1D (weight [in, out]), of which only columns [from, to) are this projection (c_attn
 * fuses q | k | v).
 */
function project(x: Float64Array, rows: number, get: Getter, l: LinearTensors): Float64Array {
  const w = get(l.weight.name, l.weight.dims.map((d) => d.n));
  const bias = l.bias ? get(l.bias.name, l.bias.dims.map((d) => d.n)).data : undefined;
  const conv1d = l.layout.kind === 'conv1d';
  const [inDim, cols] = conv1d ? w.shape : [w.shape[1], w.shape[0]];
  const [from, to] = l.layout.kind === 'conv1d' ? [l.layout.from, l.layout.to] : [0, cols];
  if (x.length !== rows * inDim) throw new Error(`reference forward: ${x.length / rows} inputs per row into ${l.weight.name} of shape [${w.shape}] (${l.layout.kind})`);
  const outDim = to - from;
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      const c = from + o;
      let s = bias ? bias[c] : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i] * (conv1d ? w.data[i * cols + c] : w.data[c * inDim + i]);
      y[r * outDim + o] = s;
    }
  }
  return y;
}

function norm(spec: ModelSpec, get: Getter, n: NormTensors, x: Float64Array): Float64Array {
  const weight = get(n.weight.name, [spec.hiddenSize]).data;
  if (spec.norm.kind === 'rmsnorm') return rmsNormRef(x, weight, spec.norm.eps, spec.norm.weightOffset).y;
  if (!n.bias) throw new Error(`reference forward: LayerNorm ${n.weight.name} has no bias`);
  return layerNormRef(x, weight, get(n.bias.name, [spec.hiddenSize]).data, spec.norm.eps).y;
}

/**
 * GPT2Attention / LlamaAttention / Qwen2Attention / Qwen3Attention: q, k, v each [B, T, H, D] (GPT-2's
 * as columns of c_attn), Qwen3's QK-norm, then rotate_half RoPE on q and k where the model has RoPE.
 */
/** Gemma3Attention: query_pre_attn_scalar ** -0.5 and, on sliding layers, the window; {} elsewhere. */
function gemma3Attention(spec: ModelSpec, l: number): { scale?: number; window?: number } {
  const g = spec.gemma3;
  if (!g) return {};
  return { scale: g.attentionScale, ...(g.layerTypes[l] === 'sliding_attention' ? { window: g.slidingWindow } : {}) };
}

/** The RoPE of layer l: Gemma 3's sliding layers use their own (rope_local_base_freq). */
function layerPositions(spec: ModelSpec, l: number): PositionEncoding {
  return spec.gemma3?.layerTypes[l] === 'sliding_attention' ? spec.gemma3.slidingPositions : spec.positions;
}

function qkv(spec: ModelSpec, get: Getter, layer: LayerTensors, x: Float64Array, N: number, batch: TokenBatch, l: number) {
  const v = project(x, N, get, layer.v);
  // Qwen3Attention: q_norm / k_norm, an RMSNorm of each head ([head_dim] weight), before RoPE.
  const headNorm = (y: Float64Array, n: NormTensors | null) => (n ? rmsNormRef(y, get(n.weight.name, [spec.headDim]).data, spec.norm.eps, spec.norm.weightOffset).y : y);
  const q = headNorm(project(x, N, get, layer.q), layer.qNorm);
  const k = headNorm(project(x, N, get, layer.k), layer.kNorm);
  const pos = layerPositions(spec, l);
  if (pos.kind !== 'rope') return { q, k, v };
  // HF's angles are f32 products of position and inv_freq; ropeRef rounds them the same way.
  const rope = (y: Float64Array, heads: number) => ropeRef(y, batch.positions, pos.invFreq, { heads, headDim: spec.headDim, layout: pos.layout });
  return { q: rope(q, spec.numHeads), k: rope(k, spec.numKvHeads), v };
}

/** out [B, T, Hq, D] = P v per head, each query head reading its kv group's values (HF repeat_kv). */
function mixValues(probs: Float64Array, v: Float64Array, { B, T, Hq, Hkv, D }: AttentionDims): Float64Array {
  const out = new Float64Array(B * T * Hq * D);
  const group = Hq / Hkv;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < T; j++) {
          const p = probs[((b * Hq + h) * T + i) * T + j];
          if (p === 0) continue;
          const vj = ((b * T + j) * Hkv + Math.floor(h / group)) * D;
          for (let d = 0; d < D; d++) out[((b * T + i) * Hq + h) * D + d] += p * v[vj + d];
        }
      }
    }
  }
  return out;
}

/** [B, H', R, T] out of the full [B, Hq, T, T] probabilities. */
function pickProbs(probs: Float64Array, rows: Int32Array, heads: readonly number[] | undefined, { B, T, Hq }: AttentionDims): Float64Array {
  const R = rows.length / B;
  const hs = heads ?? Array.from({ length: Hq }, (_, h) => h);
  const out = new Float64Array(B * hs.length * R * T);
  for (let b = 0; b < B; b++) {
    hs.forEach((h, hi) => {
      for (let r = 0; r < R; r++) {
        const src = ((b * Hq + h) * T + rows[b * R + r]) * T;
        out.set(probs.subarray(src, src + T), ((b * hs.length + hi) * R + r) * T);
      }
    });
  }
  return out;
}

/** GPT2MLP: c_proj(gelu_new(c_fc(x))); LlamaMLP: down_proj(silu(gate_proj(x)) * up_proj(x)); Gemma3MLP: gelu_pytorch_tanh for silu. */
function mlp(spec: ModelSpec, get: Getter, layer: LayerTensors, x: Float64Array, N: number): Float64Array {
  const up = project(x, N, get, layer.up);
  const gated = spec.mlp === 'geglu' ? gegluRef : swigluRef;
  const inner = layer.gate ? gated(project(x, N, get, layer.gate), up) : geluRef(up);
  return project(inner, N, get, layer.down);
}
