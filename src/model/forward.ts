/**
 * The forward pass of a loaded model on the GPU (GPT-2, Llama-family, Qwen2), returning only what
 * is asked: logits of chosen positions and vocabulary rows, and attention probabilities of chosen
 * rows, layers and heads. ABFT stops after the last layer's attention (`stopAfterAttentionOf`).
 * The batch is uploaded once at the start and nothing is read back.
 */
import { attentionProbs } from '../engine/ops/attention';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import type { TokenBatch } from './batch';
import { attentionResidual, embed, logitsHead, mlpResidual, normalize, selfAttention, type BatchTensors } from './blocks';
import type { ModelSpec, ModelWeights } from './spec';

export interface ForwardOptions {
  /** Logits at `rows` ([B * P]: P positions per sequence), for the vocabulary ids `vocab` (all when absent). */
  readonly logits?: { readonly rows: Int32Array; readonly vocab?: Int32Array };
  /**
   * Post-softmax probabilities of the query rows `rows` ([B * R]: R positions per sequence) for the
   * chosen layers (all that run by default) and query heads (all by default, in the order given).
   */
  readonly attention?: { readonly rows: Int32Array; readonly layers?: readonly number[]; readonly heads?: readonly number[] };
  /** Stop once this layer's attention probabilities are computed: no output projection or MLP there, no later layers, no logits. */
  readonly stopAfterAttentionOf?: number;
}

export interface ForwardResult {
  /** [B, P, V'] */
  readonly logits?: Tensor;
  /** [B, H', R, T] per chosen layer, in the order of `attention.layers`. */
  readonly attention?: Tensor[];
}

/** The request, checked against the model and the batch before anything runs on the GPU. */
interface Plan {
  readonly lastLayer: number;
  readonly logits: { readonly flatRows: Int32Array; readonly P: number; readonly vocab: Int32Array | null } | null;
  readonly attention: { readonly rows: Int32Array; readonly R: number; readonly layers: readonly number[]; readonly heads: Int32Array | null } | null;
}

export function forward(e: Engine, spec: ModelSpec, weights: ModelWeights, batch: TokenBatch, opts: ForwardOptions = {}): ForwardResult {
  const plan = planForward(spec, batch, opts);
  const { B, T } = batch;
  const inputs: BatchTensors = {
    B,
    T,
    ids: e.upload(batch.ids, [B, T], 'i32'),
    keyMask: e.upload(batch.keyMask, [B, T], 'u32'),
    positions: e.upload(batch.positions, [B, T], 'i32'),
    invFreq: spec.positions.kind === 'rope' ? e.upload(spec.positions.invFreq, [spec.positions.invFreq.length]) : null,
  };
  const logitRows = plan.logits ? e.upload(plan.logits.flatRows, [B, plan.logits.P], 'i32') : null;
  const vocab = plan.logits?.vocab ? e.upload(plan.logits.vocab, [plan.logits.vocab.length], 'i32') : null;
  const probRows = plan.attention ? e.upload(plan.attention.rows, [B, plan.attention.R], 'i32') : null;
  const heads = plan.attention?.heads ? e.upload(plan.attention.heads, [plan.attention.heads.length], 'i32') : null;

  const h = embed(e, weights, inputs);
  const probs: Tensor[] = [];
  for (let l = 0; l <= plan.lastLayer; l++) {
    const layer = weights.layers[l];
    const x = normalize(e, spec, layer.attentionNorm, h);
    const a = selfAttention(e, spec, layer, x, inputs);
    x.release();
    if (probRows && plan.attention?.layers.includes(l)) {
      probs[plan.attention.layers.indexOf(l)] = attentionProbs(e, a.q, a.k, a.lse, inputs.keyMask, probRows, { heads: heads ?? undefined });
    }
    a.q.release();
    a.k.release();
    a.lse.release();
    if (l === opts.stopAfterAttentionOf) {
      a.out.release();
      break;
    }
    attentionResidual(e, layer, a.out, h);
    a.out.release();
    mlpResidual(e, spec, layer, h);
  }
  const logits = logitRows ? logitsHead(e, spec, weights, h, logitRows, vocab) : undefined;

  h.release();
  for (const t of [inputs.ids, inputs.keyMask, inputs.positions, inputs.invFreq, logitRows, vocab, probRows, heads]) t?.release();
  return { ...(logits && { logits }), ...(plan.attention && { attention: probs }) };
}

/** Throws what `forward` would throw for this request (bad token ids, positions, rows, layers), running nothing. */
export function checkForwardRequest(spec: ModelSpec, batch: TokenBatch, opts: ForwardOptions): void {
  planForward(spec, batch, opts);
}

function planForward(spec: ModelSpec, batch: TokenBatch, opts: ForwardOptions): Plan {
  const { B, T } = batch;
  if (batch.ids.length !== B * T || batch.keyMask.length !== B * T || batch.positions.length !== B * T) {
    throw new Error(`forward: batch arrays do not match B = ${B}, T = ${T}; build batches with packBatch`);
  }
  for (let i = 0; i < B * T; i++) {
    if (!batch.keyMask[i]) continue;
    const id = batch.ids[i];
    if (!(id >= 0 && id < spec.vocabSize)) throw new Error(`forward: token id ${id} (sequence ${Math.floor(i / T)}) is outside the vocabulary 0..${spec.vocabSize - 1}`);
    if (batch.positions[i] >= spec.maxPositions) {
      throw new Error(`forward: sequence ${Math.floor(i / T)} reaches position ${batch.positions[i]}, beyond the model's ${spec.maxPositions} positions`);
    }
  }
  const stop = opts.stopAfterAttentionOf;
  if (stop !== undefined) {
    if (!Number.isInteger(stop) || stop < 0 || stop >= spec.numLayers) {
      throw new Error(`forward: stopAfterAttentionOf = ${stop} is not a layer of this ${spec.numLayers}-layer model (0..${spec.numLayers - 1})`);
    }
    if (opts.logits) throw new Error('forward: logits need the whole model; drop stopAfterAttentionOf to get them');
  }
  const lastLayer = stop ?? spec.numLayers - 1;

  let logits: Plan['logits'] = null;
  if (opts.logits) {
    const P = rowsPerSequence('logits.rows', opts.logits.rows, B, T);
    const flatRows = opts.logits.rows.map((t, i) => Math.floor(i / P) * T + t);
    const vocab = opts.logits.vocab ?? null;
    if (vocab) checkIndices('logits.vocab', vocab, spec.vocabSize, 'vocabulary ids');
    logits = { flatRows, P, vocab };
  }

  let attention: Plan['attention'] = null;
  if (opts.attention) {
    const R = rowsPerSequence('attention.rows', opts.attention.rows, B, T);
    const layers = opts.attention.layers ?? Array.from({ length: lastLayer + 1 }, (_, l) => l);
    checkIndices('attention.layers', layers, lastLayer + 1, stop === undefined ? 'layers' : 'layers up to stopAfterAttentionOf');
    if (new Set(layers).size !== layers.length) throw new Error(`forward: attention.layers [${layers.join(', ')}] names a layer twice`);
    const heads = opts.attention.heads ? Int32Array.from(opts.attention.heads) : null;
    if (heads) checkIndices('attention.heads', heads, spec.numHeads, 'query heads');
    attention = { rows: opts.attention.rows, R, layers, heads };
  }
  return { lastLayer, logits, attention };
}

function rowsPerSequence(what: string, rows: Int32Array, B: number, T: number): number {
  if (rows.length === 0 || rows.length % B !== 0) throw new Error(`forward: ${what} has ${rows.length} entries, expected a positive multiple of B = ${B} (positions per sequence)`);
  checkIndices(what, rows, T, 'positions of the batch');
  return rows.length / B;
}

function checkIndices(what: string, values: ArrayLike<number>, n: number, of: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= n) throw new Error(`forward: ${what}[${i}] = ${v} is outside the ${n} ${of} (0..${n - 1})`);
  }
}
