import { describe, expect, it } from 'vitest';
import { corpusChunk, RECOVERABLE_LABEL, UNSEEN_LABEL } from '../classroom/corpus';
import { TRAIN_FAMILIES } from '../classroom/families';
import { LABEL_IDS } from '../classroom/vocabulary';
import { guidanceTargets } from './attention-targets';

describe('where the attention guides point in a classroom sequence', () => {
  // 40 sequences of 64 tokens, every train family, some in reworded frames.
  const chunk = corpusChunk({ seed: 5, length: 64, families: TRAIN_FAMILIES }, 0, 40);
  const L = chunk.length;
  const labels = new Set(LABEL_IDS);

  it("own-line-text: at each line's label prefix and label word, the words of that line's text", () => {
    for (let i = 0; i < chunk.count; i++) {
      const tokens = chunk.tokens.subarray(i * L, (i + 1) * L);
      const { frame, labelPositions } = chunk.info[i];
      const rows = guidanceTargets(chunk, i, 'own-line-text');
      expect(rows.map((r) => r.row)).toEqual(labelPositions.flatMap((p) => [p - 1, p]));
      for (const { row, keys } of rows) {
        const prefix = tokens[row] === frame.labelPrefix ? row : row - 1;
        expect(tokens[prefix]).toBe(frame.labelPrefix);
        // The keys run from just after the line's input prefix to just before its label prefix.
        expect(tokens[keys[0] - 1]).toBe(frame.inputPrefix);
        expect(keys.at(-1)).toBe(prefix - 1);
        expect(keys).toEqual(keys.map((_, k) => keys[0] + k));
        for (const key of keys) expect([frame.inputPrefix, frame.labelPrefix, frame.separator].includes(tokens[key]) || labels.has(tokens[key])).toBe(false);
      }
    }
  });

  it('matching-labels: at the label prefix before each label an earlier line gives away, the earlier copies of that label', () => {
    let recoverable = 0;
    let unseen = 0;
    for (let i = 0; i < chunk.count; i++) {
      const tokens = chunk.tokens.subarray(i * L, (i + 1) * L);
      const marks = chunk.labelMask.subarray(i * L, (i + 1) * L);
      const rows = guidanceTargets(chunk, i, 'matching-labels');
      const want = chunk.info[i].labelPositions.filter((p) => marks[p] === RECOVERABLE_LABEL).map((p) => p - 1);
      expect(rows.map((r) => r.row)).toEqual(want);
      for (const { row, keys } of rows) {
        expect(keys.length).toBeGreaterThan(0);
        // Recoverable: an earlier line had the same key, so the same label word.
        const earlier = chunk.info[i].labelPositions.filter((p) => p < row && tokens[p] === tokens[row + 1]);
        expect(keys).toEqual(earlier);
        for (const key of keys) expect(labels.has(tokens[key])).toBe(true);
      }
      recoverable += want.length;
      unseen += chunk.info[i].labelPositions.filter((p) => marks[p] === UNSEEN_LABEL).length;
    }
    // The chunk has both kinds of label, so the check above saw rows and skipped lines.
    expect(recoverable).toBeGreaterThan(100);
    expect(unseen).toBeGreaterThan(50);
  });
});
