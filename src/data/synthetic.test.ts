import { describe, expect, it } from 'vitest';
import { checkRows } from './dataset';
import { SYNTHETIC_NOTE, syntheticPrompt, syntheticSentiment } from './synthetic';

describe('syntheticSentiment', () => {
  it('is reproducible per seed, balanced, and valid for its label set', () => {
    const a = syntheticSentiment({ size: 60, seed: 3, classes: 3 });
    expect(syntheticSentiment({ size: 60, seed: 3, classes: 3 })).toEqual(a);
    expect(syntheticSentiment({ size: 60, seed: 4, classes: 3 }).rows).not.toEqual(a.rows);
    expect(a.labelSet).toEqual(['negative', 'positive', 'neutral']);
    expect(syntheticPrompt(3).labelWords).toEqual(a.labelSet);
    for (const label of [0, 1, 2]) expect(a.rows.filter((r) => r.label === label)).toHaveLength(20);
    expect(() => checkRows(a.rows, a.labelSet.length, a.name)).not.toThrow();
    expect(a.name).toMatch(/^synthetic/);
    expect(SYNTHETIC_NOTE).toMatch(/^Synthetic data/);
  });

  it('defaults to two classes', () => {
    const { rows, labelSet } = syntheticSentiment({ size: 10, seed: 1 });
    expect(labelSet).toEqual(['negative', 'positive']);
    expect(new Set(rows.map((r) => r.label))).toEqual(new Set([0, 1]));
  });
});
