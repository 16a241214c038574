import { describe, expect, it } from 'vitest';
import { colorOf, differenceIndex, MASKED, paintMatrix, probabilityIndex } from './colors';

describe('explorer colour scales', () => {
  it('maps probabilities through a square root onto the table, clamped to 0..1', () => {
    expect(probabilityIndex(0)).toBe(0);
    expect(probabilityIndex(1)).toBe(255);
    expect(probabilityIndex(0.25)).toBe(128);
    expect(probabilityIndex(-0.1)).toBe(0);
    expect(probabilityIndex(2)).toBe(255);
  });

  it('puts a zero difference in the middle, symmetric for ± values, clamped at ±scale', () => {
    expect(differenceIndex(0, 0.1)).toBe(128);
    expect(differenceIndex(0.1, 0.1)).toBe(255);
    expect(differenceIndex(-0.1, 0.1)).toBe(0);
    expect(differenceIndex(1, 0.1)).toBe(255);
    expect(differenceIndex(0.025, 0.1) - 127.5).toBeCloseTo(127.5 - differenceIndex(-0.025, 0.1), 0);
  });

  it('starts the light sequential scale at white and darkens with weight', () => {
    const scale = { kind: 'probability' } as const;
    expect(colorOf(0, scale, 'light')).toEqual([255, 255, 255]);
    const [a, b] = [colorOf(0.1, scale, 'light'), colorOf(0.9, scale, 'light')];
    expect(a[0] + a[1] + a[2]).toBeGreaterThan(b[0] + b[1] + b[2]);
  });

  it('paints one opaque pixel per cell, masking the cells above the diagonal', () => {
    const values = Float32Array.from([1, 0, 0.5, 0.5]);
    const pixels = paintMatrix(values, 2, { kind: 'probability' }, 'light');
    expect(pixels.length).toBe(16);
    expect([...pixels.subarray(4, 7)]).toEqual([...MASKED.light]);
    expect([...pixels.subarray(0, 3)]).toEqual([...colorOf(1, { kind: 'probability' }, 'light')]);
    expect([...pixels.subarray(12, 15)]).toEqual([...colorOf(0.5, { kind: 'probability' }, 'light')]);
    for (let i = 3; i < 16; i += 4) expect(pixels[i]).toBe(255);
  });
});
