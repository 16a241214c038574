import { describe, expect, it, vi } from 'vitest';
import { AdamOptimizer, accumulateInto, adamStep, clipGradNorm, flagNonFinite, gradNorm, sgdStep, type AdamHyperparams } from './optimizer';
import { adamStepRef, clipGradNormRef, sgdStepRef } from '../reference/optimizer';
import type { Engine } from '../engine';
import { Tensor } from '../tensor';
import { expectClose } from '../testing/compare';
import { testEngine } from '../testing/gpu';
import { randomArray } from '../random';

// Each step is a dozen f32 roundings per element and errors do not compound much over 5 steps
// (each update is lr-sized), so 1e-6 of the largest value (~8 ulp) catches any formula difference.
// The atol of one ulp of the O(1) gradients covers m and v of a single element, which are sums of
// such gradients that can cancel to far below them (lavapipe's worst seen: 9e-8).
const F32_UPDATE = { rtol: 1e-6, atol: 1.2e-7 };
// A norm over 70000 squares: tree reduction keeps it near sqrt(log) growth, far below 1e-5.
const F32_NORM = { rtol: 1e-5 };
const SIZES = [1, 7, 129];
const STEPS = 5;

const ADAM = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

/** One flat view over packed tensors, padding included. */
function rangeOver(packed: readonly Tensor[]): Tensor {
  const [head, tail] = [packed[0], packed[packed.length - 1]];
  return new Tensor([(tail.byteOffset + tail.byteLength - head.byteOffset) / 4], 'f32', head.buffer, null, head.byteOffset);
}

function uploadAll(e: Engine, arrays: Float64Array[]): Tensor[] {
  return arrays.map((a) => e.upload(a, [a.length]));
}

async function readAll(e: Engine, tensors: readonly Tensor[]): Promise<ArrayLike<number>[]> {
  return Promise.all(tensors.map((t) => e.read(t)));
}

describe('optimizers against the float64 reference (PyTorch formulas)', () => {
  for (const decoupled of [false, true]) {
    it(`${decoupled ? 'AdamW' : 'Adam'}: ${STEPS} steps`, async () => {
      const e = await testEngine();
      for (const n of SIZES) {
        type State = { param: Float64Array; m: Float64Array; v: Float64Array };
        let ref: State = { param: randomArray(n, n), m: new Float64Array(n), v: new Float64Array(n) };
        const [p, m, v] = [e.upload(ref.param, [n]), e.zeros([n]), e.zeros([n])];
        const grads = Array.from({ length: STEPS }, (_, s) => randomArray(n, 100 * n + s));
        const gt = uploadAll(e, grads);
        for (let s = 0; s < STEPS; s++) {
          const hp: AdamHyperparams = { ...ADAM, decoupledWeightDecay: decoupled, step: s + 1 };
          adamStep(e, p, gt[s], m, v, hp);
          ref = adamStepRef(ref.param, grads[s], ref.m, ref.v, hp);
        }
        expectClose(await e.read(p), ref.param, F32_UPDATE, `param n=${n}`);
        expectClose(await e.read(m), ref.m, F32_UPDATE, `m n=${n}`);
        expectClose(await e.read(v), ref.v, F32_UPDATE, `v n=${n}`);
      }
    });
  }

  for (const nesterov of [false, true]) {
    it(`SGD with momentum${nesterov ? ', Nesterov' : ''}: ${STEPS} steps`, async () => {
      const e = await testEngine();
      const hp = { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov };
      for (const n of SIZES) {
        let ref: { param: Float64Array; buf: Float64Array | null } = { param: randomArray(n, n + 1), buf: null };
        const [p, buf] = [e.upload(ref.param, [n]), e.zeros([n])];
        const grads = Array.from({ length: STEPS }, (_, s) => randomArray(n, 200 * n + s));
        const gt = uploadAll(e, grads);
        for (let s = 0; s < STEPS; s++) {
          sgdStep(e, p, gt[s], buf, hp);
          ref = sgdStepRef(ref.param, grads[s], ref.buf, hp);
        }
        expectClose(await e.read(p), ref.param, F32_UPDATE, `param n=${n}`);
        expectClose(await e.read(buf), ref.buf!, F32_UPDATE, `momentum n=${n}`);
      }
    });
  }

  it('plain SGD without a momentum buffer', async () => {
    const e = await testEngine();
    const hp = { lr: 0.1, momentum: 0, weightDecay: 0.01 };
    const [param, grad] = [randomArray(33, 1), randomArray(33, 2)];
    const p = e.upload(param, [33]);
    sgdStep(e, p, e.upload(grad, [33]), null, hp);
    expectClose(await e.read(p), sgdStepRef(param, grad, null, hp).param, F32_UPDATE);
  });

  it('3 accumulated micro-batches with gradScale 1/3 equal one step on the mean gradient', async () => {
    const e = await testEngine();
    const n = 129;
    const param = randomArray(n, 3);
    const micro = [4, 5, 6].map((seed) => randomArray(n, seed));
    const mean = micro[0].map((_, i) => (micro[0][i] + micro[1][i] + micro[2][i]) / 3);
    const [p, acc, m, v] = [e.upload(param, [n]), e.empty([n]), e.zeros([n]), e.zeros([n])];
    e.clear(acc);
    for (const g of uploadAll(e, micro)) accumulateInto(e, acc, g);
    const hp = { ...ADAM, decoupledWeightDecay: true, step: 1 };
    adamStep(e, p, acc, m, v, { ...hp, gradScale: 1 / 3 });
    const ref = adamStepRef(param, mean, new Float64Array(n), new Float64Array(n), hp);
    expectClose(await e.read(p), ref.param, F32_UPDATE, 'param');
    expectClose(await e.read(m), ref.m, F32_UPDATE, 'm');
  });

  it('clipGradNorm over several tensors, with and without clipping', async () => {
    const e = await testEngine();
    // 70000 elements exceed the 256 x 256 threads of the norm pass, so its grid-stride loop runs.
    const grads = [1, 7, 70000].map((n, i) => randomArray(n, 10 + i));
    for (const maxNorm of [1, 1e6]) {
      const gt = uploadAll(e, grads);
      const norm = clipGradNorm(e, gt, maxNorm);
      const ref = clipGradNormRef(grads, maxNorm);
      expectClose(await e.read(norm), [ref.norm], F32_NORM, `norm, maxNorm ${maxNorm}`);
      const clipped = await readAll(e, gt);
      ref.grads.forEach((g, i) => expectClose(clipped[i], g, F32_NORM, `grads[${i}], maxNorm ${maxNorm}`));
    }
  });
});

describe('gradNorm', () => {
  it('is the scaled global norm of several tensors and leaves them as they are', async () => {
    const e = await testEngine();
    const grads = [1, 7, 70000].map((n, i) => randomArray(n, 20 + i));
    const gt = uploadAll(e, grads);
    const norm = gradNorm(e, gt, 0.5);
    expectClose(await e.read(norm), [0.5 * clipGradNormRef(grads, 1).norm], F32_NORM, 'norm');
    const after = await readAll(e, gt);
    grads.forEach((g, i) => expect(Array.from(after[i])).toEqual(Array.from(Float32Array.from(g))));
  });
});

describe('a step gated on non-finite values', () => {
  it('flagNonFinite finds NaN and infinities in any tensor, and not the largest finite floats', async () => {
    const e = await testEngine();
    const finite = [0, -0, 3.4e38, -3.4e38, 1e-45];
    const flag = async (bad: number[]) => (await e.read(flagNonFinite(e, [e.upload(finite, [5]), e.upload([1, 2, ...bad], [2 + bad.length])])))[0];
    expect(await flag([])).toBe(0);
    for (const bad of [NaN, Infinity, -Infinity]) expect(await flag([bad]), String(bad)).not.toBe(0);
  });

  it('Adam with skipIf: applied where the flag is 0, nothing changes where it is 1, and the count is taken back', async () => {
    const e = await testEngine();
    const [param, grad] = [randomArray(129, 60), randomArray(129, 61)];
    const [gatedParam, plainParam] = [e.upload(param, [129]), e.upload(param, [129])];
    const gated = new AdamOptimizer(e, [gatedParam], { ...ADAM, decoupledWeightDecay: false });
    const plain = new AdamOptimizer(e, [plainParam], { ...ADAM, decoupledWeightDecay: false });
    const g = e.upload(grad, [129]);
    gated.step([g], { skipIf: flagNonFinite(e, [e.upload([NaN], [1])]) });
    const untouched = await e.read(gatedParam);
    expect(Array.from(untouched)).toEqual(Array.from(Float32Array.from(param)));
    expect(Array.from(await e.read(gated.state().m[0])).every((v) => v === 0)).toBe(true);
    gated.discardSkippedStep();
    expect(gated.stepCount).toBe(0);
    gated.step([g], { skipIf: flagNonFinite(e, [g]) });
    plain.step([g]);
    expect(Array.from(await e.read(gatedParam))).toEqual(Array.from(await e.read(plainParam)));
    expect(gated.stepCount).toBe(1);
  });
});

describe('AdamOptimizer', () => {
  it('matches clip + AdamW per step and allocates nothing after its first step', async () => {
    const e = await testEngine();
    const sizes = [7, 129];
    const gradScale = 1 / 3;
    const maxGradNorm = 2;
    const params = sizes.map((n) => randomArray(n, n + 50));
    const grads = Array.from({ length: STEPS }, (_, s) => sizes.map((n) => randomArray(n, 300 * n + s, 3)));
    const pt = uploadAll(e, params);
    const gt = grads.map((g) => uploadAll(e, g));
    const opt = new AdamOptimizer(e, pt, { ...ADAM, decoupledWeightDecay: true, maxGradNorm });
    type State = { param: Float64Array; m: Float64Array; v: Float64Array };
    let ref: State[] = params.map((p) => ({ param: p, m: new Float64Array(p.length), v: new Float64Array(p.length) }));
    let created = 0;
    for (let s = 0; s < STEPS; s++) {
      opt.step(gt[s], { gradScale });
      if (s === 0) {
        await e.sync();
        created = e.memory().buffersCreated;
      }
      const clipped = clipGradNormRef(grads[s].map((g) => g.map((x) => x * gradScale)), maxGradNorm).grads;
      ref = ref.map((r, i) => adamStepRef(r.param, clipped[i], r.m, r.v, { ...ADAM, decoupledWeightDecay: true, step: s + 1 }));
    }
    await e.sync();
    expect(e.memory().buffersCreated).toBe(created);
    expect(opt.stepCount).toBe(STEPS);
    const got = await readAll(e, pt);
    ref.forEach((r, i) => expectClose(got[i], r.param, F32_UPDATE, `params[${i}]`));
  });

  // The trainer packs W_Q/W_K and their gradients (Engine.zerosGroup): one launch per buffer must
  // give what separate tensors give, padding untouched; a list packed differently falls back to per tensor.
  for (const gradsPacked of [true, false]) {
    it(`packed parameters with ${gradsPacked ? 'packed' : 'separate'} gradients: ${gradsPacked ? 'one launch per pass' : 'per-tensor launches'}, same values as the reference`, async () => {
      const e = await testEngine();
      const sizes = [7, 129, 70000];
      const maxGradNorm = 2;
      const params = sizes.map((n) => randomArray(n, n + 70));
      const grads = Array.from({ length: STEPS }, (_, s) => sizes.map((n) => randomArray(n, 400 * n + s, 3)));
      const pt = e.zerosGroup(sizes.map((n) => [n]));
      pt.forEach((t, i) => e.write(t, params[i]));
      const gt = e.zerosGroup(sizes.map((n) => [n]));
      const separate = gradsPacked ? null : sizes.map((n) => e.zeros([n]));
      const opt = new AdamOptimizer(e, pt, { ...ADAM, decoupledWeightDecay: false, maxGradNorm });
      type State = { param: Float64Array; m: Float64Array; v: Float64Array };
      let ref: State[] = params.map((p) => ({ param: p, m: new Float64Array(p.length), v: new Float64Array(p.length) }));
      const run = vi.spyOn(e, 'run');
      for (let s = 0; s < STEPS; s++) {
        const stepGrads = separate ?? gt;
        stepGrads.forEach((t, i) => e.write(t, grads[s][i]));
        opt.step(stepGrads);
        const clipped = clipGradNormRef(grads[s], maxGradNorm).grads;
        ref = ref.map((r, i) => adamStepRef(r.param, clipped[i], r.m, r.v, { ...ADAM, decoupledWeightDecay: false, step: s + 1 }));
      }
      const launches = (name: string) => run.mock.calls.filter(([spec]) => spec.name === name).length / STEPS;
      const perPass = gradsPacked ? 1 : sizes.length;
      expect([launches('grad_sumsq'), launches('clip_by_norm'), launches('adam_step')]).toEqual([perPass, perPass, perPass]);
      run.mockRestore();
      const got = await readAll(e, pt);
      ref.forEach((r, i) => expectClose(got[i], r.param, F32_UPDATE, `params[${i}]`));
      const { m, v } = opt.state();
      const [gm, gv] = [await readAll(e, m), await readAll(e, v)];
      ref.forEach((r, i) => expectClose(gm[i], r.m, F32_UPDATE, `m[${i}]`));
      ref.forEach((r, i) => expectClose(gv[i], r.v, F32_UPDATE, `v[${i}]`));
      // The padding between packed tensors stays zero in the parameters (the whole buffer, read as one range).
      const whole = await e.read(rangeOver(pt));
      const inside = new Set<number>();
      for (const t of pt) {
        const at = (t.byteOffset - pt[0].byteOffset) / 4;
        for (let k = 0; k < t.size; k++) inside.add(at + k);
      }
      expect(Array.from(whole).filter((x, k) => !inside.has(k) && x !== 0)).toEqual([]);
    });
  }

  it('resumes from its state: a restored optimizer steps exactly like the original', async () => {
    const e = await testEngine();
    const [param, g1, g2] = [randomArray(33, 60), randomArray(33, 61), randomArray(33, 62)];
    const hp = { ...ADAM, decoupledWeightDecay: false };
    const a = new AdamOptimizer(e, [e.upload(param, [33])], hp);
    const gt1 = e.upload(g1, [33]);
    a.step([gt1]);
    a.step([gt1]);
    const b = new AdamOptimizer(e, [e.empty([33])], hp);
    e.copy(a.params[0], b.params[0]);
    b.loadState(a.state());
    expect(b.stepCount).toBe(2);
    const gt2 = e.upload(g2, [33]);
    a.step([gt2]);
    b.step([gt2]);
    expect(Array.from(await e.read(b.params[0]))).toEqual(Array.from(await e.read(a.params[0])));
    expect(Array.from(await e.read(b.state().v[0]))).toEqual(Array.from(await e.read(a.state().v[0])));
  });

  it('names the offending argument', async () => {
    const e = await testEngine();
    const [p, g] = [e.zeros([4]), e.zeros([4])];
    const hp = { ...ADAM, decoupledWeightDecay: true };
    expect(() => adamStep(e, p, g, p, e.zeros([5]), { ...hp, step: 1 })).toThrow(/v has shape \[5\]/);
    expect(() => adamStep(e, p, g, p, p, { ...hp, step: 0 })).toThrow(/step is 0/);
    expect(() => sgdStep(e, p, g, null, { lr: 0.1, momentum: 0.9, weightDecay: 0 })).toThrow(/momentum is 0.9 but momentumBuf is null/);
    expect(() => new AdamOptimizer(e, [p], hp).step([])).toThrow(/0 grads given for 1 params/);
  });
});
