import { describe, expect, it } from 'vitest';
import { adamStepRef, clipGradNormRef } from '../engine/reference/optimizer';
import { expectClose } from '../engine/testing/compare';
import { testEngine } from '../engine/testing/gpu';
import { randomArray } from '../engine/random';
import type { ParamGrad } from '../model/grads';
import { PretrainOptimizer, scheduledLr, type LrSchedule, type PretrainOptimizerOptions } from './optimizer';

// As ops/optimizer.test.ts: a dozen f32 roundings per element and step, not compounding much over
// a few lr-sized steps; 1e-6 of the largest value catches any formula difference.
const F32_UPDATE = { rtol: 1e-6, atol: 1.2e-7 };
const F32_NORM = { rtol: 1e-5 };

describe('the learning-rate schedule', () => {
  const s: LrSchedule = { peakLr: 1e-3, warmupSteps: 4, totalSteps: 12, minLr: 1e-4 };
  it('warms up linearly to the peak, then follows a half cosine down to the floor and stays there', () => {
    expect([1, 2, 3, 4].map((t) => scheduledLr(s, t))).toEqual([2.5e-4, 5e-4, 7.5e-4, 1e-3]);
    // Halfway through the decay the cosine is at the mean of peak and floor.
    expect(scheduledLr(s, 8)).toBeCloseTo(5.5e-4, 15);
    expect(scheduledLr(s, 12)).toBeCloseTo(1e-4, 15);
    expect(scheduledLr(s, 40)).toBeCloseTo(1e-4, 15);
    for (let t = 5; t < 12; t++) expect(scheduledLr(s, t + 1)).toBeLessThan(scheduledLr(s, t));
    expect(scheduledLr({ ...s, warmupSteps: 0 }, 1)).toBeLessThan(1e-3);
    expect(() => scheduledLr(s, 0)).toThrow(/step 0/);
  });
});

/** The float64 reference of one optimizer step: global clip over all tensors, then AdamW per tensor (decay on matrices only). */
function referenceStep(
  state: { param: Float64Array; m: Float64Array; v: Float64Array; grad: Float64Array; matrix: boolean }[],
  opts: PretrainOptimizerOptions,
  step: number,
  gradScale: number,
): number {
  const scaled = state.map((t) => t.grad.map((g) => g * gradScale));
  const { norm, grads } = clipGradNormRef(scaled, opts.maxGradNorm ?? Infinity);
  const lr = scheduledLr(opts.schedule, step);
  state.forEach((t, i) => {
    const r = adamStepRef(t.param, grads[i], t.m, t.v, { lr, beta1: opts.beta1, beta2: opts.beta2, eps: opts.eps, weightDecay: t.matrix ? opts.weightDecay : 0, decoupledWeightDecay: true, step });
    Object.assign(t, r);
  });
  return norm;
}

describe('PretrainOptimizer against the float64 reference', () => {
  it.each([
    ['clipping', 0.5],
    ['no clipping', undefined],
  ] as const)('AdamW with warm-up, cosine decay and %s over 6 steps: params and grad norms equal the reference', async (_, maxGradNorm) => {
    const e = await testEngine();
    const opts: PretrainOptimizerOptions = {
      schedule: { peakLr: 2e-2, warmupSteps: 2, totalSteps: 5, minLr: 2e-3 },
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      weightDecay: 0.1,
      maxGradNorm,
    };
    // A matrix, a vector and another matrix, as weights, norms and an embedding.
    const shapes = [[7, 5], [33], [3, 129]];
    const values = shapes.map((s, i) => randomArray(s.reduce((p, d) => p * d, 1), 10 + i));
    const params: ParamGrad[] = shapes.map((shape, i) => ({ name: `t${i}`, param: e.upload(values[i], shape), grad: e.zeros(shape) }));
    const ref = values.map((v, i) => ({ param: Float64Array.from(v, Math.fround), m: new Float64Array(v.length), v: new Float64Array(v.length), grad: new Float64Array(v.length), matrix: shapes[i].length === 2 }));
    const opt = new PretrainOptimizer(e, params, opts);
    const gradScale = 1 / 3;
    for (let step = 1; step <= 6; step++) {
      ref.forEach((t, i) => {
        t.grad = Float64Array.from(randomArray(t.param.length, 100 * step + i, 2), Math.fround);
        e.write(params[i].grad, t.grad);
      });
      const want = referenceStep(ref, opts, step, gradScale);
      const { lr, gradNorm } = opt.step(gradScale);
      expect(lr).toBe(scheduledLr(opts.schedule, step));
      expectClose(await e.read(gradNorm), [want], F32_NORM, `grad norm of step ${step}`);
      gradNorm.release();
    }
    for (const [i, p] of params.entries()) expectClose(await e.read(p.param), ref[i].param, F32_UPDATE, `param ${i} after 6 steps`);
    expect(opt.stepCount).toBe(6);
    opt.release();
    for (const p of params) {
      p.param.release();
      p.grad.release();
    }
  });

  it('resumes from its state: 3 steps, a new optimizer loading that state, 3 more give the weights of 6 steps in one run, to the bit', async () => {
    const e = await testEngine();
    const opts: PretrainOptimizerOptions = { schedule: { peakLr: 1e-2, warmupSteps: 2, totalSteps: 6, minLr: 1e-3 }, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1 };
    const shapes = [[5, 3], [4]];
    const make = (): ParamGrad[] => shapes.map((shape, i) => ({ name: `t${i}`, param: e.upload(randomArray(shape.reduce((p, d) => p * d, 1), 40 + i), shape), grad: e.zeros(shape) }));
    const [one, two] = [make(), make()];
    const run = (opt: PretrainOptimizer, params: ParamGrad[], steps: number[]) => {
      for (const step of steps) {
        params.forEach((p, i) => e.write(p.grad, randomArray(p.grad.size, 200 + 10 * step + i)));
        opt.step(0.5).gradNorm.release();
      }
    };
    const whole = new PretrainOptimizer(e, one, opts);
    run(whole, one, [1, 2, 3, 4, 5, 6]);
    const first = new PretrainOptimizer(e, two, opts);
    run(first, two, [1, 2, 3]);
    const resumed = new PretrainOptimizer(e, two, opts);
    resumed.loadState(first.state());
    expect(resumed.stepCount).toBe(3);
    run(resumed, two, [4, 5, 6]);
    for (let i = 0; i < shapes.length; i++) expect(Array.from(await e.read(two[i].param)), `param ${i}`).toEqual(Array.from(await e.read(one[i].param)));
    for (const o of [whole, first, resumed]) o.release();
  });

  it('refuses a bad schedule', async () => {
    const e = await testEngine();
    const params: ParamGrad[] = [{ name: 'x', param: e.zeros([2]), grad: e.zeros([2]) }];
    const base = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 };
    expect(() => new PretrainOptimizer(e, params, { ...base, schedule: { peakLr: 1e-3, warmupSteps: 5, totalSteps: 5, minLr: 0 } })).toThrow(/totalSteps is 5, expected a whole number > warmupSteps/);
    expect(() => new PretrainOptimizer(e, params, { ...base, schedule: { peakLr: 1e-3, warmupSteps: 0, totalSteps: 5, minLr: 1 } })).toThrow(/minLr is 1/);
  });
});
