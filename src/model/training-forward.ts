/**
 * The forward of a training step, as its callers ask for it: forward.ts with a tape, the attention
 * probabilities α of each sequence's loss row in every layer (ABFT, spec §3) and, for the end-to-end
 * baseline, the logits of that row (or of several rows, for a label word of several tokens). ABFT
 * stops after the last layer's attention (spec §4): no o-proj or MLP there, no final norm, no LM
 * head, and in that layer only the loss rows' queries and no v (loss-row-attention.ts).
 */
import type { Engine } from '../engine/engine';
import type { TokenBatch } from './batch';
import { forward } from './forward';
import { nextTokenTargets } from './next-token-loss';
import type { ModelSpec, ModelWeights } from './spec';
import type { Tape } from './tape';

export type { LayerTape, Tape } from './tape';

export interface TrainingForwardOptions {
  /** [B]: the loss row of each sequence, its last real token (see `lastTokenRows`); not with 'next-token'. */
  readonly lossRows?: Int32Array;
  /**
   * 'last-attention': ABFT, the loss is on α only. 'logits': the whole model, for a loss on the logits
   * of the loss rows. 'next-token': the whole model for pretraining's next-token cross-entropy over
   * every position, which the backward computes (next-token-loss.ts) and returns.
   */
  readonly upTo: 'last-attention' | 'logits' | 'next-token';
  /** Record what the backward needs to reach the embeddings: set it to train every weight (TrainableSet 'all'). */
  readonly throughEmbeddings?: boolean;
  /** With 'logits': the vocabulary ids scored (the label words); all when absent. */
  readonly logitsVocab?: Int32Array;
  /**
   * With 'logits': the positions whose logits are computed, [B * P], P per sequence (a label word's
   * tokens, teacher-forced); the loss rows when absent (P = 1).
   */
  readonly logitsRows?: Int32Array;
  /** With 'next-token': [B * T], the token each position is scored on or -1; every next token (nextTokenTargets) when absent. */
  readonly nextTokenTargets?: Int32Array;
  /**
   * With 'next-token': [B * R], R positions per sequence whose attention α the tape records in every
   * layer, all heads, for a loss on attention beside the next-token loss (the backward's probsGrad).
   */
  readonly attentionRows?: Int32Array;
}

export function trainingForward(e: Engine, spec: ModelSpec, weights: ModelWeights, batch: TokenBatch, opts: TrainingForwardOptions): Tape {
  if (opts.upTo !== 'last-attention' && opts.upTo !== 'logits' && opts.upTo !== 'next-token') {
    throw new Error(`trainingForward: upTo is '${String(opts.upTo)}', expected 'last-attention', 'logits' or 'next-token'`);
  }
  const throughEmbeddings = opts.throughEmbeddings === true;
  if (opts.upTo === 'next-token') {
    if (opts.lossRows || opts.logitsVocab || opts.logitsRows) throw new Error("trainingForward: upTo 'next-token' scores every position; give no lossRows, logitsVocab or logitsRows");
    return forward(e, spec, weights, batch, {
      tape: true,
      tapeThroughEmbeddings: throughEmbeddings,
      nextTokenTargets: opts.nextTokenTargets ?? nextTokenTargets(batch),
      ...(opts.attentionRows && { attention: { rows: opts.attentionRows } }),
    }).tape!;
  }
  if (opts.attentionRows) throw new Error("trainingForward: attentionRows are only used with upTo 'next-token'; the other tapes take lossRows");
  if (!opts.lossRows) throw new Error(`trainingForward: upTo '${opts.upTo}' needs lossRows, one row per sequence`);
  if (opts.lossRows.length !== batch.B) throw new Error(`trainingForward: lossRows has ${opts.lossRows.length} entries, expected one per sequence (B = ${batch.B})`);
  if (opts.nextTokenTargets) throw new Error("trainingForward: nextTokenTargets are only used with upTo 'next-token'");
  if ((opts.logitsVocab || opts.logitsRows) && opts.upTo !== 'logits') throw new Error("trainingForward: logitsVocab and logitsRows are only used with upTo 'logits'");
  const { tape } = forward(e, spec, weights, batch, {
    attention: { rows: opts.lossRows },
    ...(opts.upTo === 'logits' ? { logits: { rows: opts.logitsRows ?? opts.lossRows, vocab: opts.logitsVocab } } : { stopAfterAttentionOf: spec.numLayers - 1 }),
    tape: true,
    tapeThroughEmbeddings: throughEmbeddings,
  });
  return tape!;
}
