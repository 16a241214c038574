import { describe, expect, it } from 'vitest';
import { rope, ropeBackward, ropeInvFreq, type RopeLayout } from './rope';
import { ropeBackwardRef, ropeRef } from '../reference/rope';
import { expectClose } from '../testing/compare';
import { finiteDifferenceGradient, weightedSum } from '../testing/finite-diff';
import { testEngine } from '../testing/gpu';
import { randomArray } from '../random';

// Each output is a*cos - b*sin of f32 inputs: a few roundings plus the error of the shader's own
// sin/cos (range reduction leaves < 4e-7 rad up to position 8k, the polynomials < 2e-9; lavapipe
// shows <= 1.1e-7 of max|x|). 2e-6 is far below what a wrong pair or sign produces, and far below
// what WGSL's builtin sin/cos may be off by (2^-11; SwiftShader's gave 1.6e-4 in the browser test).
const F32_ROTATION = { rtol: 2e-6 };
const LAYOUTS: RopeLayout[] = ['half', 'interleaved'];

// [B = 3, T = 5]: in order; left-padded by 2 (HF gives pads position 1); near 8k to exercise the
// range reduction of large angles.
const POSITIONS = [0, 1, 2, 3, 4, 1, 1, 0, 1, 2, 8191, 8190, 4095, 7777, 123];
const [B, T] = [3, 5];

describe('rope against the float64 reference', () => {
  // [H, D, R]: full rotary; partial rotary (GPT-NeoX/Phi style); odd D with a small R; R = 2.
  const CASES: [number, number, number][] = [
    [3, 8, 8],
    [2, 10, 6],
    [1, 7, 4],
    [2, 33, 2],
  ];
  for (const layout of LAYOUTS) {
    it(`forward and backward, ${layout} layout`, async () => {
      const e = await testEngine();
      const pos = e.upload(POSITIONS, [B, T], 'i32');
      for (const [H, D, R] of CASES) {
        const shape = [B, T, H, D];
        const n = B * T * H * D;
        const x = randomArray(n, n + R, 2);
        const dy = randomArray(n, n + R + 1);
        // theta^(-2i/R) starts at 1, so position 8191 gives an 8191 rad angle.
        const invFreq = ropeInvFreq(10000, R);
        const [xt, dyt, ft] = [e.upload(x, shape), e.upload(dy, shape), e.upload(invFreq, [R / 2])];
        const opts = { heads: H, headDim: D, layout };
        const what = `${layout} H=${H} D=${D} R=${R}`;
        const y = rope(e, xt, pos, ft, { layout });
        expectClose(await e.read(y), ropeRef(x, POSITIONS, invFreq, opts), F32_ROTATION, `${what} y`);
        expectClose(await e.read(ropeBackward(e, dyt, pos, ft, { layout })), ropeBackwardRef(dy, POSITIONS, invFreq, opts), F32_ROTATION, `${what} dx`);
        expectClose(await e.read(ropeBackward(e, y, pos, ft, { layout })), x, F32_ROTATION, `${what} backward undoes forward`);
      }
    });
  }

  it('the layouts differ and pass-through dims are copied bit for bit', async () => {
    const e = await testEngine();
    const [H, D, R] = [1, 6, 4];
    const x = randomArray(B * T * H * D, 5);
    const pos = e.upload(POSITIONS, [B, T], 'i32');
    const ft = e.upload(ropeInvFreq(500000, R), [R / 2]);
    const xt = e.upload(x, [B, T, H, D]);
    const half = await e.read(rope(e, xt, pos, ft, { layout: 'half' }));
    const inter = await e.read(rope(e, xt, pos, ft, { layout: 'interleaved' }));
    expect(Array.from(half)).not.toEqual(Array.from(inter));
    for (let i = 0; i < x.length; i++) {
      if (i % D >= R) {
        expect(half[i]).toBe(x[i]);
        expect(inter[i]).toBe(x[i]);
      }
    }
  });

  it('rejects bad shapes, naming the argument', async () => {
    const e = await testEngine();
    const x = e.zeros([2, 3, 1, 8]);
    const ft = e.zeros([2]);
    expect(() => rope(e, x, e.zeros([3, 2], 'i32'), ft, { layout: 'half' })).toThrow(/positions has shape \[3, 2\], expected \[2, 3\]/);
    expect(() => rope(e, x, e.zeros([2, 3]), ft, { layout: 'half' })).toThrow(/positions has dtype f32/);
    expect(() => rope(e, x, e.zeros([2, 3], 'i32'), e.zeros([5]), { layout: 'half' })).toThrow(/invFreq has shape \[5\]/);
    expect(() => ropeBackward(e, e.zeros([6, 8]), e.zeros([2, 3], 'i32'), ft, { layout: 'half' })).toThrow(/dy has shape \[6, 8\]/);
  });
});

describe('ropeInvFreq', () => {
  it('is theta^(-2i/R) rounded to f32', () => {
    const f = ropeInvFreq(10000, 8);
    expect(Array.from(f)).toEqual([1, 0.1, 0.01, 0.001].map(Math.fround));
    expect(() => ropeInvFreq(10000, 7)).toThrow(/rotaryDim = 7/);
    expect(() => ropeInvFreq(0, 8)).toThrow(/theta = 0/);
  });
});

describe('rope backward reference against central finite differences (float64)', () => {
  const positions = [3, 0, 7, 1];
  const opts = { heads: 2, headDim: 6 };
  const invFreq = ropeInvFreq(100, 4);
  const x = randomArray(4 * 2 * 6, 31);
  const w = randomArray(4 * 2 * 6, 32);
  const FD = { rtol: 1e-7 };
  for (const layout of LAYOUTS) {
    it(`${layout} layout, partial rotary`, () => {
      const o = { ...opts, layout };
      expectClose(ropeBackwardRef(w, positions, invFreq, o), finiteDifferenceGradient((v) => weightedSum(ropeRef(v, positions, invFreq, o), w), x), FD);
    });
  }
});
