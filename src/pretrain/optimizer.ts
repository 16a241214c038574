/**
 * The optimizer of full-model training (pretraining): AdamW with decoupled weight decay on the
 * matrices only, a learning rate that warms up linearly and then decays along a cosine, and the
 * gradient clipped to a global norm over every trained tensor first. All of it on the GPU with no
 * readback: the norm is computed and applied by the clip kernels, and the schedule is a number the
 * CPU passes with each step. Built on ops/optimizer.ts (clipGradNorm, AdamOptimizer).
 */
import type { Engine } from '../engine/engine';
import { AdamOptimizer, clipGradNorm, gradNorm as gradNormOf, type AdamState } from '../engine/ops/optimizer';
import type { Tensor } from '../engine/tensor';
import type { ParamGrad } from '../model/grads';

export interface LrSchedule {
  /** The rate reached at the end of warm-up. */
  readonly peakLr: number;
  /** Steps of linear warm-up, peakLr * step / warmupSteps; 0 starts at the peak. */
  readonly warmupSteps: number;
  /** The step the cosine reaches minLr at; later steps stay there. */
  readonly totalSteps: number;
  /** The floor of the decay (often peakLr / 10). */
  readonly minLr: number;
}

export function checkSchedule(s: LrSchedule): void {
  const ok = (v: number, name: string, want: string, test: (v: number) => boolean) => {
    if (!Number.isFinite(v) || !test(v)) throw new Error(`learning-rate schedule: ${name} is ${v}, expected ${want}`);
  };
  ok(s.peakLr, 'peakLr', 'a positive number', (v) => v > 0);
  ok(s.minLr, 'minLr', 'in [0, peakLr]', (v) => v >= 0 && v <= s.peakLr);
  ok(s.warmupSteps, 'warmupSteps', 'a whole number >= 0', (v) => Number.isInteger(v) && v >= 0);
  ok(s.totalSteps, 'totalSteps', 'a whole number > warmupSteps', (v) => Number.isInteger(v) && v > s.warmupSteps);
}

/** The learning rate of 1-based step `step`: linear warm-up to peakLr, then a half cosine down to minLr at totalSteps. */
export function scheduledLr(s: LrSchedule, step: number): number {
  if (!Number.isInteger(step) || step < 1) throw new Error(`scheduledLr: step ${step}, expected a whole number >= 1`);
  if (step <= s.warmupSteps) return (s.peakLr * step) / s.warmupSteps;
  const progress = Math.min(1, (step - s.warmupSteps) / (s.totalSteps - s.warmupSteps));
  return s.minLr + 0.5 * (s.peakLr - s.minLr) * (1 + Math.cos(Math.PI * progress));
}

export interface PretrainOptimizerOptions {
  readonly schedule: LrSchedule;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Decoupled (AdamW) decay of the matrices (rank >= 2: projections, embeddings, head); norms and biases are not decayed. */
  readonly weightDecay: number;
  /** Clip the global gradient norm (after gradScale) to this before every step; off when absent. */
  readonly maxGradNorm?: number;
}

/** Defaults of small-GPT pretraining (nanoGPT's): betas (0.9, 0.95), decay 0.1, clip at 1. */
export const DEFAULT_PRETRAIN_OPTIMIZER: Omit<PretrainOptimizerOptions, 'schedule'> = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1 };

/** Whether a tensor takes weight decay: the matrices do, the vectors (norm weights, biases) do not. */
export function decays(param: Tensor): boolean {
  return param.rank >= 2;
}

export interface PretrainStepReport {
  /** The learning rate this step used. */
  readonly lr: number;
  /** f32 [1], the global norm of gradScale * gradients before clipping; the caller owns it. */
  readonly gradNorm: Tensor;
}

/**
 * AdamW over `params` (each a weight and its gradient, e.g. TrainableGrads.params), stepping with
 * the schedule's rate. The moments are allocated here, once.
 */
export class PretrainOptimizer {
  private readonly groups: readonly { readonly params: readonly ParamGrad[]; readonly adam: AdamOptimizer }[];
  private steps = 0;

  constructor(
    private readonly e: Engine,
    private readonly params: readonly ParamGrad[],
    private readonly options: PretrainOptimizerOptions,
  ) {
    checkSchedule(options.schedule);
    if (options.maxGradNorm !== undefined && !(options.maxGradNorm > 0)) throw new Error(`PretrainOptimizer: maxGradNorm is ${options.maxGradNorm}, expected > 0`);
    if (params.length === 0) throw new Error('PretrainOptimizer: no parameters to train');
    const hp = { lr: options.schedule.peakLr, beta1: options.beta1, beta2: options.beta2, eps: options.eps, decoupledWeightDecay: true };
    // Two Adam groups, as torch's param groups: the clip spans both, so it is done here, not by them.
    this.groups = [true, false]
      .map((decayed) => params.filter((p) => decays(p.param) === decayed))
      .filter((group) => group.length > 0)
      .map((group) => ({
        params: group,
        adam: new AdamOptimizer(e, group.map((p) => p.param), { ...hp, weightDecay: decays(group[0].param) ? options.weightDecay : 0 }),
      }));
  }

  get stepCount(): number {
    return this.steps;
  }

  /**
   * Clips (when asked) and steps every parameter once. `gradScale` multiplies the gradients first:
   * 1 / (target tokens) when they hold the summed next-token loss's gradient (next-token-loss.ts).
   */
  step(gradScale = 1, skipIf?: Tensor): PretrainStepReport {
    if (!Number.isFinite(gradScale)) throw new Error(`PretrainOptimizer.step: gradScale is ${gradScale}, expected a finite number`);
    const lr = scheduledLr(this.options.schedule, this.steps + 1);
    const grads = this.params.map((p) => p.grad);
    // The norm is reported whether or not it clips.
    const max = this.options.maxGradNorm;
    const gradNorm = max === undefined ? gradNormOf(this.e, grads, gradScale) : clipGradNorm(this.e, grads, max, gradScale);
    for (const g of this.groups) g.adam.step(g.params.map((p) => p.grad), { lr, gradScale, skipIf });
    this.steps++;
    return { lr, gradNorm };
  }

  /** Takes back the latest step, which its `skipIf` flag (nonzero on the GPU) kept from changing anything: the schedule does not advance either. */
  discardSkippedStep(): void {
    if (this.steps === 0) throw new Error('PretrainOptimizer.discardSkippedStep: no step was taken');
    for (const g of this.groups) g.adam.discardSkippedStep();
    this.steps--;
  }

  /** Adam's moments in `params` order (live tensors: read them for a checkpoint, do not release them) and the step count. */
  state(): AdamState {
    const byParam = new Map<Tensor, { m: Tensor; v: Tensor }>();
    for (const g of this.groups) {
      const { m, v } = g.adam.state();
      g.params.forEach((p, i) => byParam.set(p.param, { m: m[i], v: v[i] }));
    }
    return { m: this.params.map((p) => byParam.get(p.param)!.m), v: this.params.map((p) => byParam.get(p.param)!.v), step: this.steps };
  }

  /** Resumes from `state()` of an optimizer over the same parameters (copied into this one's buffers). */
  loadState(state: AdamState): void {
    if (state.m.length !== this.params.length || state.v.length !== this.params.length) {
      throw new Error(`PretrainOptimizer.loadState: ${state.m.length} / ${state.v.length} moments for ${this.params.length} params`);
    }
    const index = new Map(this.params.map((p, i) => [p.param, i]));
    for (const g of this.groups) {
      const at = g.params.map((p) => index.get(p.param)!);
      g.adam.loadState({ m: at.map((i) => state.m[i]), v: at.map((i) => state.v[i]), step: state.step });
    }
    this.steps = state.step;
  }

  release(): void {
    for (const g of this.groups) g.adam.release();
  }
}
