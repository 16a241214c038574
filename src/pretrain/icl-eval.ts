/**
 * The in-context-learning signal of a pretraining run, on classroom corpus sequences: at every
 * label token, the label word the model ranks first among the 16 label words (chance 1/16),
 * split by the corpus's label marks. A label whose key appeared earlier in the sequence
 * (RECOVERABLE_LABEL) can be copied from that line, which is what an induction head does (Olsson
 * et al. 2022); one whose key did not (UNSEEN_LABEL) can at best be guessed among the labels not
 * used yet. Recoverable accuracy far above unseen accuracy is the induction signal, and on
 * held-out families it is in-context learning of tasks never trained on.
 */
import { corpusChunk, RECOVERABLE_LABEL, UNSEEN_LABEL, type CorpusOptions } from '../classroom/corpus';
import { HELD_OUT_FAMILIES, TRAIN_FAMILIES } from '../classroom/families';
import { IDS, LABEL_IDS } from '../classroom/vocabulary';
import type { Engine } from '../engine/engine';
import { packBatch } from '../model/batch';
import { forward } from '../model/forward';
import type { LoadedModel } from '../model/load';
import type { ModelSpec, ModelWeights } from '../model/spec';
import type { PretrainConfig } from './config';

export interface LabelAccuracy {
  readonly correct: number;
  readonly total: number;
  readonly accuracy: number;
  /** Mean −log p of the right label among the label words. */
  readonly labelLoss: number;
}

export interface IclMeasure {
  /** Labels whose key appeared earlier in the sequence (labelMask 2): readable in context. */
  readonly recoverable: LabelAccuracy;
  /** Labels whose key had not appeared (labelMask 1): a guess. */
  readonly unseen: LabelAccuracy;
  /**
   * The expected recoverable accuracy of copying any label seen earlier in the sequence, uniformly
   * (1 / distinct earlier labels): what the in-context label prior gives without matching the key.
   * Recoverable accuracy above it is key-matched induction; at it, only label copying.
   */
  readonly copyBaseline: number;
  readonly sequences: number;
}

/** A sequence's tokens without the padding the corpus ends it with. */
export function withoutPadding(tokens: Int32Array): number[] {
  let end = tokens.length;
  while (end > 0 && tokens[end - 1] === IDS.pad) end--;
  return Array.from(tokens.subarray(0, end));
}

const LABEL_INDEX = new Map(LABEL_IDS.map((id, i) => [id, i]));

/** Measures sequences 0 .. count - 1 of the corpus `corpus`, `microBatch` sequences per forward. */
export async function measureIcl(e: Engine, spec: ModelSpec, weights: ModelWeights, corpus: CorpusOptions, count: number, microBatch: number): Promise<IclMeasure> {
  const chunk = corpusChunk(corpus, 0, count);
  const tally = { [UNSEEN_LABEL]: { correct: 0, total: 0, loss: 0 }, [RECOVERABLE_LABEL]: { correct: 0, total: 0, loss: 0 } };
  const vocab = Int32Array.from(LABEL_IDS);
  let copyChance = 0;
  for (let first = 0; first < count; first += microBatch) {
    const members = Array.from({ length: Math.min(microBatch, count - first) }, (_, i) => first + i);
    const sequences = members.map((s) => withoutPadding(chunk.tokens.subarray(s * chunk.length, (s + 1) * chunk.length)));
    // The logits at the label prefix predict the label token after it; every sequence asks for P rows, the shorter lists repeat their first.
    const positions = members.map((s) => chunk.info[s].labelPositions);
    const P = Math.max(...positions.map((p) => p.length));
    const rows = new Int32Array(members.length * P);
    positions.forEach((list, b) => {
      for (let p = 0; p < P; p++) rows[b * P + p] = (list[p] ?? list[0]) - 1;
    });
    const batch = packBatch(sequences, IDS.pad, { maxLength: spec.maxPositions });
    const { logits } = forward(e, spec, weights, batch, { logits: { rows, vocab } });
    const values = await e.read(logits!);
    logits!.release();
    const V = vocab.length;
    positions.forEach((list, b) => {
      const s = members[b];
      const earlier = new Set<number>();
      list.forEach((at, p) => {
        const mask = chunk.labelMask[s * chunk.length + at] as typeof UNSEEN_LABEL | typeof RECOVERABLE_LABEL;
        const want = LABEL_INDEX.get(chunk.tokens[s * chunk.length + at])!;
        const row = values.subarray((b * P + p) * V, (b * P + p + 1) * V);
        let best = 0;
        let max = -Infinity;
        for (let v = 0; v < V; v++) if (row[v] > max) [max, best] = [row[v], v];
        let sum = 0;
        for (let v = 0; v < V; v++) sum += Math.exp(row[v] - max);
        const t = tally[mask];
        t.total++;
        if (best === want) t.correct++;
        t.loss += Math.log(sum) - (row[want] - max);
        if (mask === RECOVERABLE_LABEL) copyChance += 1 / earlier.size;
        earlier.add(want);
      });
    });
  }
  const summary = (t: { correct: number; total: number; loss: number }): LabelAccuracy => ({
    correct: t.correct,
    total: t.total,
    accuracy: t.total === 0 ? 0 : t.correct / t.total,
    labelLoss: t.total === 0 ? 0 : t.loss / t.total,
  });
  const recoverable = summary(tally[RECOVERABLE_LABEL]);
  return { recoverable, unseen: summary(tally[UNSEEN_LABEL]), copyBaseline: recoverable.total === 0 ? 0 : copyChance / recoverable.total, sequences: count };
}

/** A pretraining run's evaluation: held-out families (in-context learning of tasks never trained on) and train families, on the config's evaluation seed. */
export async function measureIclSplits(e: Engine, model: LoadedModel, config: PretrainConfig): Promise<{ heldOut: IclMeasure; train: IclMeasure }> {
  const measure = (families: CorpusOptions['families']) =>
    measureIcl(e, model.spec, model.weights, { seed: config.eval.seed, length: config.corpus.length, families }, config.eval.sequences, config.batch.microBatch);
  return { heldOut: await measure(HELD_OUT_FAMILIES), train: await measure(TRAIN_FAMILIES) };
}
