import { describe, expect, it } from 'vitest';
import { difference, displayToken, headSlice, labelMarks, labelMass, parseLabelWords, symmetricScale } from './attention-data';
import { composePrompt } from './compose';

describe('explorer attention data', () => {
  it('subtracts base from fine-tuned and scales the difference by its largest magnitude', () => {
    const d = difference(Float32Array.from([0.5, 0.25, 0.25]), Float32Array.from([0.25, 0.5, 0.25]));
    expect([...d]).toEqual([0.25, -0.25, 0]);
    expect(symmetricScale(d)).toBe(0.25);
    expect(symmetricScale(new Float32Array(3))).toBeGreaterThan(0);
    expect(() => difference(new Float32Array(2), new Float32Array(3))).toThrow(/same prompt/);
  });

  it('takes one head out of a layer of [heads, rows, tokens]', () => {
    const layer = Float32Array.from({ length: 2 * 1 * 3 }, (_, i) => i);
    expect([...headSlice(layer, 1, 1, 3)]).toEqual([3, 4, 5]);
  });

  it('marks a training prompt’s I⁺ and I⁻, and label words in typed text but never the last token', () => {
    const tokens = ['review', ':', ' good', ' positive', '\n', ' sentiment', ': ', 'positive'];
    expect([...labelMarks(tokens, { plus: [3], minus: [1] }, ['positive'])]).toEqual([
      [3, 'plus'],
      [1, 'minus'],
    ]);
    expect([...labelMarks(tokens, null, parseLabelWords(' positive, negative ,'))]).toEqual([[3, 'label']]);
  });

  it('adds up the attention on marked tokens', () => {
    expect(labelMass(Float32Array.from([0.1, 0.2, 0.7]), new Map([[0, 'plus'], [2, 'minus']]))).toBeCloseTo(0.8);
  });

  it('shows whitespace in tokens', () => {
    expect(displayToken(' a\tb\n')).toBe('·a⇥b⏎');
    expect(displayToken('')).toBe('∅');
  });

  it('composes prompts from the data: k demonstrations from the pool, a test query, in the template’s format', () => {
    const template = { inputPrefix: 'review: ', labelPrefix: 'sentiment: ', labelWords: ['negative', 'positive'], separator: '\n' };
    const pool = [{ text: 'bad', label: 0 }, { text: 'great', label: 1 }, { text: 'fine', label: 1 }];
    expect(composePrompt(pool, [{ text: 'dull', label: 0 }], template, 2, 1)).toBe('review: fine sentiment: positive\nreview: bad sentiment: negative\nreview: dull sentiment: ');
    expect(() => composePrompt([], [], template, 2, 0)).toThrow(/no training rows/);
  });
});
