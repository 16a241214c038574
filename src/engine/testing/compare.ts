import { expect } from 'vitest';

export interface Tolerance {
  /** Relative to the largest magnitude in the expected values, so near-zero entries are not over-judged. */
  readonly rtol: number;
  readonly atol?: number;
}

/**
 * Asserts |actual - expected| <= atol + rtol * max|expected| elementwise and reports the worst entry.
 * Scaling by the array's largest magnitude is the right yardstick for f32 sums, whose rounding
 * error grows with the size of the terms, not with the (possibly cancelled) result.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, what = 'values'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const bound = (tol.atol ?? 0) + tol.rtol * scale;
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= worstErr) || Number.isNaN(err)) {
      worstErr = Number.isNaN(err) ? Infinity : err;
      worst = i;
    }
  }
  if (worst >= 0 && !(worstErr <= bound)) {
    expect.fail(
      `${what}: max error ${worstErr.toExponential(3)} at index ${worst} (got ${actual[worst]}, expected ${expected[worst]}) ` +
        `exceeds ${bound.toExponential(3)} (rtol ${tol.rtol} x max|expected| ${scale.toExponential(3)} + atol ${tol.atol ?? 0})`,
    );
  }
}
