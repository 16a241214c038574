/**
 * What the labels of a classroom sequence allow: an oracle that looks the query's key up in the
 * earlier lines (the induction-head answer, the ceiling), and two predictors that cannot do that
 * lookup: one that knows each text's key but not the sequence's mapping (it learnt key → label
 * from other sequences, as weights would), and one that knows the sequence's labels but not which
 * text goes with which (it says the label seen most often so far). Scored on the lines whose key
 * was seen earlier, the only ones any reader of the context can get right for certain.
 */
import type { TaskFamily } from './families';
import type { Line } from './lines';

export interface Score {
  readonly correct: number;
  readonly total: number;
}

export const accuracy = (s: Score) => (s.total === 0 ? 0 : s.correct / s.total);

/** Adds b's counts to a's. */
export const addScores = (a: Score, b: Score): Score => ({ correct: a.correct + b.correct, total: a.total + b.total });

function keyedLines(family: TaskFamily, lines: readonly Line[]): { key: number; label: number }[] {
  return lines.map((line) => {
    const key = family.keyOf(line.text);
    if (key === null || line.label === null) throw new Error(`A line does not fit family ${family.id}'s rule.`);
    return { key, label: line.label };
  });
}

/** Each line whose key appeared earlier gets the label of the last earlier line with that key. */
export function oracleScore(family: TaskFamily, lines: readonly Line[]): Score {
  const last = new Map<number, number>();
  let correct = 0;
  let total = 0;
  for (const { key, label } of keyedLines(family, lines)) {
    const seen = last.get(key);
    if (seen !== undefined) {
      total++;
      if (seen === label) correct++;
    }
    last.set(key, label);
  }
  return { correct, total };
}

/** Counts of labels per key over many sequences: what a context-free predictor learns. */
export type KeyLabelCounts = Map<string, Map<number, number>>;

export function countKeyLabels(family: TaskFamily, lines: readonly Line[], counts: KeyLabelCounts = new Map()): KeyLabelCounts {
  for (const { key, label } of keyedLines(family, lines)) {
    const name = `${family.id}:${key}`;
    const perLabel = counts.get(name) ?? new Map<number, number>();
    perLabel.set(label, (perLabel.get(label) ?? 0) + 1);
    counts.set(name, perLabel);
  }
  return counts;
}

function argmax(counts: ReadonlyMap<number, number> | undefined): number | null {
  let best: number | null = null;
  let most = -1;
  for (const [label, n] of counts ?? []) {
    if (n > most || (n === most && label < best!)) [best, most] = [label, n];
  }
  return best;
}

/** The label `counts` saw most with each line's key, on the lines whose key appeared earlier. */
export function contextFreeScore(family: TaskFamily, lines: readonly Line[], counts: KeyLabelCounts): Score {
  const seen = new Set<number>();
  let correct = 0;
  let total = 0;
  for (const { key, label } of keyedLines(family, lines)) {
    if (seen.has(key)) {
      total++;
      if (argmax(counts.get(`${family.id}:${key}`)) === label) correct++;
    }
    seen.add(key);
  }
  return { correct, total };
}

/** The label most frequent among the earlier lines, on the lines whose key appeared earlier. */
export function labelMajorityScore(family: TaskFamily, lines: readonly Line[]): Score {
  const seen = new Set<number>();
  const counts = new Map<number, number>();
  let correct = 0;
  let total = 0;
  for (const { key, label } of keyedLines(family, lines)) {
    if (seen.has(key)) {
      total++;
      if (argmax(counts) === label) correct++;
    }
    seen.add(key);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return { correct, total };
}
