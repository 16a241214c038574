import { describe, expect, it } from 'vitest';
import { accuracy, confusionMatrix, consistency, macroF1 } from './metrics';

describe('accuracy', () => {
  it('is the fraction of matches, NaN on no predictions', () => {
    expect(accuracy([0, 1, 1, 2], [0, 1, 0, 0])).toBe(0.5);
    expect(accuracy([], [])).toBeNaN();
  });

  it('rejects predictions and gold labels that do not pair up', () => {
    expect(() => accuracy([0, 1], [0])).toThrow(/2 predictions for 1 gold/);
  });
});

describe('confusionMatrix', () => {
  it('counts [gold][pred]', () => {
    // gold 0 predicted 1 twice, gold 1 predicted 1 once, gold 2 predicted 0 once.
    expect(confusionMatrix([1, 1, 1, 0], [0, 0, 1, 2], 3)).toEqual([
      [0, 2, 0],
      [0, 1, 0],
      [1, 0, 0],
    ]);
  });

  it('rejects a class id outside the classes', () => {
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/prediction 1 is 3/);
    expect(() => confusionMatrix([0, 1], [0, -1], 3)).toThrow(/gold label 1 is -1/);
  });
});

describe('macroF1', () => {
  it('averages the per-class F1 (hand-computed)', () => {
    // pred [0,0,1,1,1], gold [0,1,1,1,0]: class 0 TP 1 FP 1 FN 1 -> 0.5; class 1 TP 2 FP 1 FN 1 -> 4/6.
    expect(macroF1([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], 2)).toBeCloseTo((0.5 + 4 / 6) / 2, 12);
  });

  it('scores a class that has gold examples but is never predicted as 0', () => {
    // Class 1 never predicted: F1 0. Class 0: TP 2, FP 2 -> 4/6.
    expect(macroF1([0, 0, 0, 0], [0, 0, 1, 1], 2)).toBeCloseTo((4 / 6 + 0) / 2, 12);
  });

  it('leaves out a class with no gold example and no prediction', () => {
    // Class 2 never appears: the mean is over classes 0 and 1 only, both perfect.
    expect(macroF1([0, 1, 1], [0, 1, 1], 3)).toBe(1);
    // A class predicted but never gold counts (F1 0): class 2 TP 0 FP 1.
    expect(macroF1([0, 2], [0, 1], 3)).toBeCloseTo((1 + 0 + 0) / 3, 12);
  });

  it('is NaN on no predictions', () => {
    expect(macroF1([], [], 2)).toBeNaN();
  });
});

describe('consistency', () => {
  it('averages the share of each group taken by its most frequent prediction', () => {
    expect(consistency([[0, 0, 1], [1, 1, 1]])).toBeCloseTo((2 / 3 + 1) / 2, 12);
    expect(consistency([[2, 0, 1, 0, 1, 0]])).toBe(0.5);
  });

  it('is NaN on no groups and rejects an empty group', () => {
    expect(consistency([])).toBeNaN();
    expect(() => consistency([[0], []])).toThrow(/group 1/);
  });
});
