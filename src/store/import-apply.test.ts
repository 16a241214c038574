import { describe, expect, it } from 'vitest';
import { importStatement, mergeLabels } from './import-apply';

describe('what an import will do', () => {
  it('says it in one sentence with the row counts', () => {
    expect(importStatement('append', 12, 256, 'Synthetic sentiment')).toBe('Adds 12 rows to the 256 rows of “Synthetic sentiment”: 268 rows in all.');
    expect(importStatement('replace', 1, 1, 'a.csv')).toBe('Replaces the 1 row of “a.csv” with 1 row from the file; Undo brings them back.');
  });

  it("keeps the current label words' ids and gives the file's new labels the next ones", () => {
    expect(mergeLabels(['negative', 'positive'], ['positive', 'neutral', 'negative'])).toEqual({ labelWords: ['negative', 'positive', 'neutral'], fileToMerged: [1, 2, 0] });
  });
});
