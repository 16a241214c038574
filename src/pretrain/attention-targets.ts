/**
 * Where pretraining's attention guidance (attention-guidance.ts) points in a classroom sequence,
 * read from the corpus generator's own record of the lines (corpus.ts), not from token ids:
 *
 * - 'own-line-text': at each line's label prefix and label word, the words of that line's text.
 *   A head that does this summarises the line where its label is, so a later head can match a
 *   query line to a demonstration line by its key.
 * - 'matching-labels': at the label prefix of each line whose label an earlier line gives away
 *   (RECOVERABLE_LABEL), the earlier label words equal to the one that follows. This is the
 *   induction step of Olsson et al. (2022): attend to the right demonstration label and copy it.
 */
import { RECOVERABLE_LABEL, type CorpusChunk } from '../classroom/corpus';

export const GUIDANCE_TARGETS = ['own-line-text', 'matching-labels'] as const;
export type GuidanceTarget = (typeof GUIDANCE_TARGETS)[number];

/** A query position and the key positions its attention is guided to, in sequence coordinates. */
export interface RowTargets {
  readonly row: number;
  readonly keys: readonly number[];
}

export function guidanceTargets(chunk: CorpusChunk, i: number, target: GuidanceTarget): RowTargets[] {
  const L = chunk.length;
  const tokens = chunk.tokens.subarray(i * L, (i + 1) * L);
  const marks = chunk.labelMask.subarray(i * L, (i + 1) * L);
  const labels = chunk.info[i].labelPositions;
  const out: RowTargets[] = [];
  labels.forEach((at, line) => {
    if (target === 'own-line-text') {
      // A line is `<input prefix> text <label prefix> label <separator>`; the first starts after <bos>.
      const inputPrefix = line === 0 ? 1 : labels[line - 1] + 2;
      const text = Array.from({ length: at - 1 - (inputPrefix + 1) }, (_, k) => inputPrefix + 1 + k);
      if (text.length > 0) out.push({ row: at - 1, keys: text }, { row: at, keys: text });
    } else if (marks[at] === RECOVERABLE_LABEL) {
      const keys = labels.slice(0, line).filter((p) => tokens[p] === tokens[at]);
      if (keys.length > 0) out.push({ row: at - 1, keys });
    }
  });
  return out;
}
