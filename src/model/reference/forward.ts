/**
 * Float64 forward pass written from HF transformers' modeling code (GPT2LMHeadModel, LlamaForCausalLM,
 * Qwen2ForCausalLM), reading the checkpoint's tensors by their HF names in their file layouts: GPT-2's
 * Conv1D weights are [in, out] with q, k, v fused in c_attn; nn.Linear weights are [out, in]; a tied
 * LM head is the token embedding. It never goes through weights.ts, so comparing the GPU forward
 * against it also checks the weight mapping. Options and output layouts are those of forward.ts.
 */
import { attentionFullRef, type AttentionDims } from '../../engine/reference/attention';
import { geluRef, swigluRef } from '../../engine/reference/activation';
import { layerNormRef, rmsNormRef } from '../../engine/reference/norm';
import { ropeRef } from '../../engine/reference/rope';
import type { TokenBatch } from '../batch';
import type { ForwardOptions } from '../forward';
import type { ModelSpec } from '../spec';

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

/** The tensors one architecture reads, by HF name. */
interface Names {
  readonly embed: string;
  readonly positions: string | null;
  readonly finalNorm: string;
  layer(l: number): string;
}

const NAMES: Record<'gpt2' | 'llama', Names> = {
  gpt2: { embed: 'wte.weight', positions: 'wpe.weight', finalNorm: 'ln_f', layer: (l) => `h.${l}` },
  llama: { embed: 'model.embed_tokens.weight', positions: null, finalNorm: 'model.norm', layer: (l) => `model.layers.${l}` },
};

export function referenceForward(spec: ModelSpec, tensors: HfTensors, batch: TokenBatch, opts: ForwardOptions = {}): ReferenceResult {
  const gpt2 = spec.architecture === 'gpt2';
  const names = gpt2 ? NAMES.gpt2 : NAMES.llama;
  const get = tensorGetter(tensors, gpt2 ? 'transformer.' : '');
  const { B, T } = batch;
  const C = spec.hiddenSize;
  const N = B * T;

  const wte = get(names.embed, [spec.vocabSize, C]);
  const wpe = names.positions ? get(names.positions, [spec.maxPositions, C]) : null;
  const h = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    h.set(row(wte, clampId(batch.ids[n], spec.vocabSize), C), n * C);
    if (!wpe) continue;
    const p = row(wpe, batch.positions[n], C);
    for (let c = 0; c < C; c++) h[n * C + c] += p[c];
  }

  const lastLayer = opts.stopAfterAttentionOf ?? spec.numLayers - 1;
  const probLayers = opts.attention?.layers ?? Array.from({ length: lastLayer + 1 }, (_, l) => l);
  const attention: Float64Array[] = [];
  for (let l = 0; l <= lastLayer; l++) {
    const prefix = names.layer(l);
    const x = norm(spec, get, gpt2 ? `${prefix}.ln_1` : `${prefix}.input_layernorm`, h);
    const { q, k, v } = gpt2 ? gpt2Qkv(spec, get, prefix, x, N) : llamaQkv(spec, get, prefix, x, N, batch);
    const dims = { B, T, Hq: spec.numHeads, Hkv: spec.numKvHeads, D: spec.headDim };
    const { probs } = attentionFullRef(q, k, batch.keyMask, dims);
    if (opts.attention && probLayers.includes(l)) attention[probLayers.indexOf(l)] = pickProbs(probs, opts.attention.rows, opts.attention.heads, dims);
    if (l === opts.stopAfterAttentionOf) break;
    const heads = mixValues(probs, v, dims);
    const o = gpt2
      ? linear(heads, N, get(`${prefix}.attn.c_proj.weight`), 'conv1d', get(`${prefix}.attn.c_proj.bias`))
      : linear(heads, N, get(`${prefix}.self_attn.o_proj.weight`), 'linear', spec.outputBias ? get(`${prefix}.self_attn.o_proj.bias`) : undefined);
    addInto(h, o);
    const x2 = norm(spec, get, gpt2 ? `${prefix}.ln_2` : `${prefix}.post_attention_layernorm`, h);
    addInto(h, gpt2 ? gpt2Mlp(get, prefix, x2, N) : llamaMlp(spec, get, prefix, x2, N));
  }

  if (!opts.logits) return opts.attention ? { attention } : {};
  const P = opts.logits.rows.length / B;
  const picked = new Float64Array(B * P * C);
  opts.logits.rows.forEach((t, i) => picked.set(h.subarray((Math.floor(i / P) * T + t) * C, (Math.floor(i / P) * T + t + 1) * C), i * C));
  const y = norm(spec, get, names.finalNorm, picked);
  const head = spec.tieWordEmbeddings ? wte : get('lm_head.weight', [spec.vocabSize, C]);
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

/** Looks a tensor up by name, also under `prefix` (GPT-2 files are written with and without "transformer."). */
function tensorGetter(tensors: HfTensors, prefix: string): Getter {
  return (name, shape) => {
    const t = tensors.get(name) ?? tensors.get(prefix + name);
    if (!t) throw new Error(`reference forward: the checkpoint has no tensor ${prefix ? `${name} or ${prefix}${name}` : name}`);
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

/** x [rows, in] through a GPT-2 Conv1D (weight [in, out]) or an nn.Linear (weight [out, in]). */
function linear(x: Float64Array, rows: number, w: HfTensor, layout: 'conv1d' | 'linear', bias?: HfTensor): Float64Array {
  const [inDim, outDim] = layout === 'conv1d' ? w.shape : [w.shape[1], w.shape[0]];
  if (x.length !== rows * inDim) throw new Error(`reference forward: ${x.length / rows} inputs per row into a weight of shape [${w.shape}] (${layout})`);
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = bias ? bias.data[o] : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i] * (layout === 'conv1d' ? w.data[i * outDim + o] : w.data[o * inDim + i]);
      y[r * outDim + o] = s;
    }
  }
  return y;
}

function norm(spec: ModelSpec, get: Getter, prefix: string, x: Float64Array): Float64Array {
  const weight = get(`${prefix}.weight`, [spec.hiddenSize]).data;
  if (spec.norm.kind === 'rmsnorm') return rmsNormRef(x, weight, spec.norm.eps).y;
  return layerNormRef(x, weight, get(`${prefix}.bias`, [spec.hiddenSize]).data, spec.norm.eps).y;
}

/** GPT2Attention: c_attn's output columns are q | k | v, each [B, T, H, D] once split. */
function gpt2Qkv(spec: ModelSpec, get: Getter, prefix: string, x: Float64Array, N: number) {
  const C = spec.hiddenSize;
  const qkv = linear(x, N, get(`${prefix}.attn.c_attn.weight`, [C, 3 * C]), 'conv1d', get(`${prefix}.attn.c_attn.bias`, [3 * C]));
  const part = (i: number) => {
    const out = new Float64Array(N * C);
    for (let n = 0; n < N; n++) out.set(qkv.subarray(n * 3 * C + i * C, n * 3 * C + (i + 1) * C), n * C);
    return out;
  };
  return { q: part(0), k: part(1), v: part(2) };
}

/** LlamaAttention / Qwen2Attention: separate projections, then rotate_half RoPE on q and k. */
function llamaQkv(spec: ModelSpec, get: Getter, prefix: string, x: Float64Array, N: number, batch: TokenBatch) {
  const proj = (name: string) =>
    linear(x, N, get(`${prefix}.self_attn.${name}.weight`), 'linear', spec.qkvBias ? get(`${prefix}.self_attn.${name}.bias`) : undefined);
  const v = proj('v_proj');
  const pos = spec.positions;
  if (pos.kind !== 'rope') return { q: proj('q_proj'), k: proj('k_proj'), v };
  // HF's angles are f32 products of position and inv_freq; ropeRef rounds them the same way.
  const rope = (y: Float64Array, heads: number) => ropeRef(y, batch.positions, pos.invFreq, { heads, headDim: spec.headDim, layout: pos.layout });
  return { q: rope(proj('q_proj'), spec.numHeads), k: rope(proj('k_proj'), spec.numKvHeads), v };
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

/** GPT2MLP: c_proj(gelu_new(c_fc(x))). */
function gpt2Mlp(get: Getter, prefix: string, x: Float64Array, N: number): Float64Array {
  const up = linear(x, N, get(`${prefix}.mlp.c_fc.weight`), 'conv1d', get(`${prefix}.mlp.c_fc.bias`));
  return linear(geluRef(up), N, get(`${prefix}.mlp.c_proj.weight`), 'conv1d', get(`${prefix}.mlp.c_proj.bias`));
}

/** LlamaMLP: down_proj(silu(gate_proj(x)) * up_proj(x)). */
function llamaMlp(spec: ModelSpec, get: Getter, prefix: string, x: Float64Array, N: number): Float64Array {
  const proj = (name: string, input: Float64Array) =>
    linear(input, N, get(`${prefix}.mlp.${name}.weight`), 'linear', spec.mlpBias ? get(`${prefix}.mlp.${name}.bias`) : undefined);
  return proj('down_proj', swigluRef(proj('gate_proj', x), proj('up_proj', x)));
}
