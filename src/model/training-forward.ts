/**
 * The forward pass of a training step: the same blocks as forward.ts, keeping on a tape exactly what
 * `backward` (backward.ts) reads, and returning what the losses are written on: the attention
 * probabilities α of each sequence's loss row for every layer (ABFT, spec §3) and, for the end-to-end
 * baseline, the logits of that row (or of several rows, for a label word of several tokens). ABFT stops after the last layer's attention (spec §4): no o-proj
 * or MLP there, no final norm, no LM head, and in that layer only the loss rows' queries and no v
 * (loss-row-attention.ts). Nothing is read back.
 */
import { attentionProbs } from '../engine/ops/attention';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import type { TokenBatch } from './batch';
import {
  attentionResidual,
  copyOf,
  embed,
  logitsHeadSaving,
  mlpResidualSaving,
  normalize,
  normalizeSaving,
  releaseAttentionSaved,
  releaseHeadSaved,
  releaseMlpSaved,
  releaseNormSaved,
  selfAttentionSaving,
  type AttentionSaved,
  type BatchTensors,
  type HeadSaved,
  type MlpSaved,
  type NormSaved,
} from './blocks';
import { checkForwardRequest } from './forward';
import { lossRowAttentionSaving, releaseLossRowAttentionSaved, type LossRowAttentionSaved, type LossRows } from './loss-row-attention';
import type { ModelSpec, ModelWeights } from './spec';

export interface TrainingForwardOptions {
  /** [B]: the loss row of each sequence, its last real token (see `lastTokenRows`). */
  readonly lossRows: Int32Array;
  /** 'last-attention': ABFT, the loss is on α only. 'logits': the whole model, for a loss on the logits of the loss rows. */
  readonly upTo: 'last-attention' | 'logits';
  /** With 'logits': the vocabulary ids scored (the label words); all when absent. */
  readonly logitsVocab?: Int32Array;
  /**
   * With 'logits': the positions whose logits are computed, [B * P], P per sequence (a label word's
   * tokens, teacher-forced); the loss rows when absent (P = 1).
   */
  readonly logitsRows?: Int32Array;
}

/** What the backward of one layer reads. */
export interface LayerTape {
  /** The attention norm, with a copy of h; null in layer 0, whose input gradient nothing reads. */
  readonly attentionNorm: NormSaved | null;
  /** norm(h) [B, T, C], the input of the q, k, v projections. */
  readonly x: Tensor;
  /** The full attention block; null in ABFT's last layer, which keeps `lossRow` instead. */
  readonly attention: AttentionSaved | null;
  /** ABFT's last layer: q of the loss rows only, k, lse. */
  readonly lossRow: LossRowAttentionSaved | null;
  /** null where the forward stopped after this layer's attention. */
  readonly mlp: MlpSaved | null;
}

export interface Tape {
  readonly upTo: TrainingForwardOptions['upTo'];
  readonly B: number;
  readonly T: number;
  readonly batch: BatchTensors;
  /** [B, 1] i32, the loss rows. */
  readonly lossRows: Tensor;
  /** [B, Hq, 1, T] per layer: α of the loss rows. The caller owns these and releases them. */
  readonly probs: readonly Tensor[];
  /** [B, P, V'] with upTo 'logits' (P = 1 without logitsRows), else null. The caller owns it. */
  readonly logits: Tensor | null;
  readonly layers: readonly LayerTape[];
  /** The loss rows in their sequences (`lossRows`), as rows of h ([B, 1] i32, b * T + t) and their position ids. */
  readonly rows: LossRows;
  /** With upTo 'logits': the head's saved tensors, and the rows of h it read ([B, P] i32, b * T + t). */
  readonly head: { readonly saved: HeadSaved; readonly flatRows: Tensor } | null;
  readonly released: boolean;
  /** Gives back every tensor the tape holds (not `probs` or `logits`); `backward` calls it. Idempotent. */
  release(): void;
}

export function trainingForward(e: Engine, spec: ModelSpec, weights: ModelWeights, batch: TokenBatch, opts: TrainingForwardOptions): Tape {
  const { B, T } = batch;
  checkOptions(spec, batch, opts);
  const inputs: BatchTensors = {
    B,
    T,
    ids: e.upload(batch.ids, [B, T], 'i32'),
    keyMask: e.upload(batch.keyMask, [B, T], 'u32'),
    positions: e.upload(batch.positions, [B, T], 'i32'),
    invFreq: spec.positions.kind === 'rope' ? e.upload(spec.positions.invFreq, [spec.positions.invFreq.length]) : null,
  };
  const lossRows = e.upload(opts.lossRows, [B, 1], 'i32');
  const rows: LossRows = {
    inSequence: lossRows,
    flat: e.upload(Int32Array.from(opts.lossRows, (t, b) => b * T + t), [B, 1], 'i32'),
    positions: e.upload(Int32Array.from(opts.lossRows, (t, b) => batch.positions[b * T + t]), [B, 1], 'i32'),
  };
  const toLogits = opts.upTo === 'logits';
  // Uploaded with the other inputs, before any launch, so the step's command buffer is not split.
  const P = opts.logitsRows ? opts.logitsRows.length / B : 1;
  const headRows = toLogits && opts.logitsRows ? e.upload(Int32Array.from(opts.logitsRows, (t, i) => Math.floor(i / P) * T + t), [B, P], 'i32') : rows.flat;

  const h = embed(e, weights, inputs);
  const probs: Tensor[] = [];
  const layers: LayerTape[] = [];
  for (let l = 0; l < spec.numLayers; l++) {
    const layer = weights.layers[l];
    let x: Tensor;
    let attentionNorm: NormSaved | null = null;
    if (l === 0) {
      x = normalize(e, spec, layer.attentionNorm, h);
    } else {
      ({ y: x, saved: attentionNorm } = normalizeSaving(e, spec, layer.attentionNorm, copyOf(e, h)));
    }
    if (!toLogits && l === spec.numLayers - 1) {
      const { saved: lossRow, probs: alpha } = lossRowAttentionSaving(e, spec, layer, x, inputs, rows);
      probs.push(alpha);
      layers.push({ attentionNorm, x, attention: null, lossRow, mlp: null });
      continue;
    }
    const attention = selfAttentionSaving(e, spec, layer, x, inputs);
    probs.push(attentionProbs(e, attention.q, attention.k, attention.lse, inputs.keyMask, lossRows));
    attentionResidual(e, layer, attention.out, h);
    const mlp = mlpResidualSaving(e, spec, layer, h);
    layers.push({ attentionNorm, x, attention, lossRow: null, mlp });
  }

  let head: Tape['head'] = null;
  let logits: Tensor | null = null;
  if (toLogits) {
    const vocab = opts.logitsVocab ? e.upload(opts.logitsVocab, [opts.logitsVocab.length], 'i32') : null;
    const out = logitsHeadSaving(e, spec, weights, h, headRows, vocab);
    vocab?.release();
    logits = out.logits;
    head = { saved: out.saved, flatRows: headRows };
  }
  h.release();

  let released = false;
  return {
    upTo: opts.upTo,
    B,
    T,
    batch: inputs,
    lossRows,
    probs,
    logits,
    layers,
    rows,
    head,
    get released() {
      return released;
    },
    release() {
      if (released) return;
      released = true;
      for (const lt of layers) {
        if (lt.attentionNorm) releaseNormSaved(lt.attentionNorm);
        lt.x.release();
        if (lt.attention) releaseAttentionSaved(lt.attention);
        if (lt.lossRow) releaseLossRowAttentionSaved(lt.lossRow);
        if (lt.mlp) releaseMlpSaved(lt.mlp);
      }
      if (head) {
        releaseHeadSaved(head.saved);
        if (head.flatRows !== rows.flat) head.flatRows.release();
      }
      for (const t of [inputs.ids, inputs.keyMask, inputs.positions, inputs.invFreq, lossRows, rows.flat, rows.positions]) t?.release();
    },
  };
}

/** forward.ts's checks (token ids, positions, vocabulary) plus the loss rows, before anything is uploaded. */
function checkOptions(spec: ModelSpec, batch: TokenBatch, opts: TrainingForwardOptions): void {
  if (opts.upTo !== 'last-attention' && opts.upTo !== 'logits') throw new Error(`trainingForward: upTo is '${String(opts.upTo)}', expected 'last-attention' or 'logits'`);
  if (opts.lossRows.length !== batch.B) throw new Error(`trainingForward: lossRows has ${opts.lossRows.length} entries, expected one per sequence (B = ${batch.B})`);
  if ((opts.logitsVocab || opts.logitsRows) && opts.upTo !== 'logits') throw new Error("trainingForward: logitsVocab and logitsRows are only used with upTo 'logits'");
  checkForwardRequest(spec, batch, {
    attention: { rows: opts.lossRows },
    ...(opts.upTo === 'logits' && { logits: { rows: opts.logitsRows ?? opts.lossRows, vocab: opts.logitsVocab } }),
  });
}
