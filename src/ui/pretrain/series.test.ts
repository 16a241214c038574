import { describe, expect, it } from 'vitest';
import { headRows, strongestHead, thinned } from './series';

describe('pretraining chart rows', () => {
  it('thin a long series to at most the limit, keeping the first and the last point', () => {
    const points = Array.from({ length: 10_000 }, (_, i) => i + 1);
    const kept = thinned(points, 400);
    expect(kept.length).toBeLessThanOrEqual(400);
    expect(kept.length).toBeGreaterThan(350);
    expect(kept[0]).toBe(1);
    expect(kept.at(-1)).toBe(10_000);
    expect(thinned([1, 2, 3], 400)).toEqual([1, 2, 3]);
  });

  it('put each head of each measurement under its own key', () => {
    expect(headRows([{ step: 0, scores: [[0.1, 0.2], [0.3, 0.4]] }])).toEqual([{ step: 0, l0h0: 0.1, l0h1: 0.2, l1h0: 0.3, l1h1: 0.4 }]);
    expect(strongestHead([[0.1, 0.2], [0.6, 0.4]])).toEqual({ layer: 1, head: 0, score: 0.6 });
  });
});
