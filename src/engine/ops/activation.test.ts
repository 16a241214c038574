import { describe, it } from 'vitest';
import { geglu, gegluBackward, gelu, geluBackward, silu, siluBackward, swiglu, swigluBackward } from './activation';
import { gegluBackwardRef, gegluRef, geluBackwardRef, geluRef, siluBackwardRef, siluRef, swigluBackwardRef, swigluRef } from '../reference/activation';
import { expectClose } from '../testing/compare';
import { finiteDifferenceGradient, weightedSum } from '../testing/finite-diff';
import { testEngine } from '../testing/gpu';
import { randomArray } from '../random';

// Elementwise f32 math: each output is a handful of roundings of exp/tanh, so 1e-6 relative to the
// largest value (about 8 ulp) is tight enough to catch any formula error and loose enough for exp.
const F32_ELEMENTWISE = { rtol: 1e-6, atol: 1e-7 };
const SIZES = [1, 7, 33, 129, 1000];

describe('activations against the float64 reference', () => {
  for (const n of SIZES) {
    it(`gelu, silu forward and backward, n=${n}`, async () => {
      const e = await testEngine();
      const x = randomArray(n, n, 6);
      const dy = randomArray(n, n + 1);
      const xt = e.upload(x, [n]);
      const dyt = e.upload(dy, [n]);
      expectClose(await e.read(gelu(e, xt)), geluRef(x), F32_ELEMENTWISE, 'gelu');
      expectClose(await e.read(geluBackward(e, xt, dyt)), geluBackwardRef(x, dy), F32_ELEMENTWISE, 'gelu backward');
      expectClose(await e.read(silu(e, xt)), siluRef(x), F32_ELEMENTWISE, 'silu');
      expectClose(await e.read(siluBackward(e, xt, dyt)), siluBackwardRef(x, dy), F32_ELEMENTWISE, 'silu backward');
    });
  }

  const gatedProducts = [
    { name: 'swiglu', forward: swiglu, backward: swigluBackward, ref: swigluRef, backwardRef: swigluBackwardRef },
    { name: 'geglu', forward: geglu, backward: gegluBackward, ref: gegluRef, backwardRef: gegluBackwardRef },
  ];
  for (const { name, forward, backward, ref, backwardRef } of gatedProducts) {
    it(`${name} forward and backward on a batch of rows`, async () => {
      const e = await testEngine();
      const shape = [3, 7, 33];
      const n = 3 * 7 * 33;
      const [g, u, dy] = [randomArray(n, 1, 5), randomArray(n, 2, 2), randomArray(n, 3)];
      const [gt, ut, dyt] = [e.upload(g, shape), e.upload(u, shape), e.upload(dy, shape)];
      expectClose(await e.read(forward(e, gt, ut)), ref(g, u), F32_ELEMENTWISE, name);
      const { dGate, dUp } = backward(e, gt, ut, dyt);
      const expected = backwardRef(g, u, dy);
      expectClose(await e.read(dGate), expected.dGate, F32_ELEMENTWISE, `${name} dGate`);
      expectClose(await e.read(dUp), expected.dUp, F32_ELEMENTWISE, `${name} dUp`);
    });
  }

  it('is finite at extreme inputs', async () => {
    const e = await testEngine();
    const x = [-1e4, -90, -20, 0, 20, 90, 1e4];
    const xt = e.upload(x, [x.length]);
    expectClose(await e.read(gelu(e, xt)), geluRef(x), F32_ELEMENTWISE, 'gelu tails');
    expectClose(await e.read(silu(e, xt)), siluRef(x), F32_ELEMENTWISE, 'silu tails');
  });
});

describe('activation backward references against central finite differences (float64)', () => {
  const x = randomArray(17, 5, 4);
  const w = randomArray(17, 6);
  const FD = { rtol: 1e-7 };
  it('gelu', () => expectClose(geluBackwardRef(x, w), finiteDifferenceGradient((v) => weightedSum(geluRef(v), w), x), FD));
  it('silu', () => expectClose(siluBackwardRef(x, w), finiteDifferenceGradient((v) => weightedSum(siluRef(v), w), x), FD));
  for (const [name, ref, backwardRef] of [
    ['swiglu', swigluRef, swigluBackwardRef],
    ['geglu', gegluRef, gegluBackwardRef],
  ] as const) {
    it(name, () => {
      const u = randomArray(17, 7);
      const grads = backwardRef(x, u, w);
      expectClose(grads.dGate, finiteDifferenceGradient((v) => weightedSum(ref(v, u), w), x), FD, 'dGate');
      expectClose(grads.dUp, finiteDifferenceGradient((v) => weightedSum(ref(x, v), w), u), FD, 'dUp');
    });
  }
});
