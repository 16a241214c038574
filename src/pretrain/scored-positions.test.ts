import { describe, expect, it } from 'vitest';
import { corpusChunk } from '../classroom/corpus';
import { scoredPositions } from './scored-positions';

describe('scoredPositions', () => {
  const chunk = corpusChunk({ seed: 4, length: 128 }, 0, 40);
  const L = chunk.length;

  it('always scores the position before each label word, and samples the other positions at the given share', () => {
    let others = 0;
    let otherScored = 0;
    for (let i = 0; i < chunk.count; i++) {
      const scored = scoredPositions(chunk, i, 0.25, 4, i);
      for (let t = 0; t + 1 < L; t++) {
        if (chunk.labelMask[i * L + t + 1] > 0) expect(scored[t]).toBe(1);
        else {
          others++;
          otherScored += scored[t];
        }
      }
      expect(scored[L - 1]).toBe(0);
    }
    expect(Math.abs(otherScored / others - 0.25)).toBeLessThan(0.02);
  });

  it('scores the label words alone at 0 and everything at 1, and draws the same positions for the same seed and sequence', () => {
    const labelsOnly = scoredPositions(chunk, 3, 0, 4, 3);
    expect(Array.from(labelsOnly.subarray(0, L - 1))).toEqual(Array.from(chunk.labelMask.subarray(3 * L + 1, 4 * L), (m) => (m > 0 ? 1 : 0)));
    expect(scoredPositions(chunk, 3, 1, 4, 3).every((v) => v === 1)).toBe(true);
    expect(scoredPositions(chunk, 3, 0.5, 4, 3)).toEqual(scoredPositions(chunk, 3, 0.5, 4, 3));
    expect(scoredPositions(chunk, 3, 0.5, 4, 3)).not.toEqual(scoredPositions(chunk, 3, 0.5, 4, 4));
  });
});
