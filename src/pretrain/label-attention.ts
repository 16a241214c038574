/**
 * The induction signal per head, for watching induction heads form during pretraining: at each
 * position that predicts a recoverable label (the label prefix before a label token whose key an
 * earlier line showed), the attention mass a head puts on the earlier label tokens equal to the
 * label that follows (the 'matching-labels' targets of attention-targets.ts). An induction head that matches the key and copies its label puts most of
 * its attention there; a head that ignores labels puts almost none. Averaged over those
 * positions of a small fixed set of evaluation-corpus sequences, so one number per layer × head
 * in [0, 1] that is comparable from one measurement to the next.
 */
import { corpusChunk, type CorpusChunk } from '../classroom/corpus';
import { IDS } from '../classroom/vocabulary';
import type { Engine } from '../engine/engine';
import { packBatch } from '../model/batch';
import { forward } from '../model/forward';
import type { ModelSpec, ModelWeights } from '../model/spec';
import { guidanceTargets, type RowTargets } from './attention-targets';
import type { PretrainConfig } from './config';
import { withoutPadding } from './icl-eval';
import { trainingCorpus } from './loop';

/** Sequences of the probe: enough recoverable labels for a steady mean (about 15 a sequence at length 64), a forward cheap beside a step. */
export const PROBE_SEQUENCES = 8;

/**
 * The probe's sequences: the first PROBE_SEQUENCES of the evaluation corpus (the config's
 * evaluation seed, never trained on) over the training families, where the phase change shows.
 */
export function labelAttentionProbe(config: PretrainConfig): CorpusChunk {
  return corpusChunk({ ...trainingCorpus(config), seed: config.eval.seed }, 0, PROBE_SEQUENCES);
}

/**
 * Adds, for each head, the attention mass of each query's row on its keys. `probs` is one layer's
 * [B, H, R, T] attention of rows `queries[b][r]` (rows past a sequence's own queries repeat its first and are skipped).
 */
export function addLabelMass(sums: Float64Array, probs: Float32Array, queries: readonly (readonly RowTargets[])[], H: number, R: number, T: number): void {
  queries.forEach((list, b) => {
    list.forEach(({ keys }, r) => {
      for (let h = 0; h < H; h++) {
        const base = ((b * H + h) * R + r) * T;
        let mass = 0;
        for (const k of keys) mass += probs[base + k];
        sums[h] += mass;
      }
    });
  });
}

/** The score of every layer × head, [layer][head], on the probe's sequences, `microBatch` sequences per forward. */
export async function labelAttentionScores(e: Engine, spec: ModelSpec, weights: ModelWeights, probe: CorpusChunk, microBatch: number): Promise<number[][]> {
  const H = spec.numHeads;
  const sums = Array.from({ length: spec.numLayers }, () => new Float64Array(H));
  let count = 0;
  const layers = Array.from({ length: spec.numLayers }, (_, l) => l);
  for (let first = 0; first < probe.count; first += microBatch) {
    const members = Array.from({ length: Math.min(microBatch, probe.count - first) }, (_, i) => first + i);
    const queries = members.map((s) => guidanceTargets(probe, s, 'matching-labels'));
    const R = Math.max(1, ...queries.map((q) => q.length));
    if (queries.every((q) => q.length === 0)) continue;
    // Every sequence asks for R rows; a shorter list repeats its first (or row 0 without any), and addLabelMass skips them.
    const rows = new Int32Array(members.length * R);
    queries.forEach((list, b) => {
      for (let r = 0; r < R; r++) rows[b * R + r] = (list[r] ?? list[0])?.row ?? 0;
    });
    count += queries.reduce((n, q) => n + q.length, 0);
    const batch = packBatch(
      members.map((s) => withoutPadding(probe.tokens.subarray(s * probe.length, (s + 1) * probe.length))),
      IDS.pad,
      { maxLength: spec.maxPositions },
    );
    const { attention } = forward(e, spec, weights, batch, { attention: { rows, layers }, stopAfterAttentionOf: spec.numLayers - 1 });
    try {
      const values = await e.readAll(attention!);
      values.forEach((probs, l) => addLabelMass(sums[l], probs as Float32Array, queries, H, R, batch.T));
    } finally {
      for (const t of attention!) t.release();
    }
  }
  if (count === 0) throw new Error(`labelAttentionScores: the ${probe.count} probe sequences of ${probe.length} tokens hold no recoverable label; use longer sequences`);
  return sums.map((layer) => Array.from(layer, (sum) => sum / count));
}
