/**
 * Runs each kernel family once on a small random problem and compares it with the float64
 * reference. The app offers it to users to check their GPU and browser, and the browser tests use
 * it to exercise the same kernels in a real Chromium.
 */
import type { Engine } from './engine';
import { gelu, geluBackward, swiglu } from './ops/activation';
import { geluBackwardRef, geluRef, swigluRef } from './reference/activation';
import { randomArray } from './testing/random';

export interface SelfCheckResult {
  readonly name: string;
  readonly maxError: number;
  readonly tolerance: number;
  readonly passed: boolean;
  readonly ms: number;
}

interface Check {
  readonly name: string;
  /** Bound on the error relative to the largest expected magnitude; see the op's tests for why. */
  readonly rtol: number;
  run(e: Engine): Promise<{ actual: ArrayLike<number>; expected: ArrayLike<number> }>;
}

const CHECKS: Check[] = [
  {
    name: 'GELU forward',
    rtol: 1e-6,
    async run(e) {
      const x = randomArray(257, 1, 5);
      return { actual: await e.read(gelu(e, e.upload(x, [257]))), expected: geluRef(x) };
    },
  },
  {
    name: 'GELU backward',
    rtol: 1e-6,
    async run(e) {
      const [x, dy] = [randomArray(257, 2, 5), randomArray(257, 3)];
      return { actual: await e.read(geluBackward(e, e.upload(x, [257]), e.upload(dy, [257]))), expected: geluBackwardRef(x, dy) };
    },
  },
  {
    name: 'SwiGLU forward',
    rtol: 1e-6,
    async run(e) {
      const [g, u] = [randomArray(300, 4, 5), randomArray(300, 5)];
      return { actual: await e.read(swiglu(e, e.upload(g, [3, 100]), e.upload(u, [3, 100]))), expected: swigluRef(g, u) };
    },
  },
];

export function relativeMaxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    const err = Math.abs(actual[i] - expected[i]);
    worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst / (scale || 1);
}

export async function runSelfCheck(e: Engine): Promise<SelfCheckResult[]> {
  const results: SelfCheckResult[] = [];
  for (const check of CHECKS) {
    const start = performance.now();
    const { actual, expected } = await check.run(e);
    const maxError = relativeMaxError(actual, expected);
    results.push({ name: check.name, maxError, tolerance: check.rtol, passed: maxError <= check.rtol, ms: performance.now() - start });
  }
  return results;
}
