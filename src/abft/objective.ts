/**
 * Every choice of the ABFT objective (ABFT-SPEC.md §3), each one named so a user can switch it:
 * the paper's settings, the decisions this project made where the paper is silent, and the
 * ablations of the paper's Table 4.
 */

/** 'threshold': a head takes part only while S = Σ_{I} α > k / (k + log n_t); 'none': every head (ablation). */
export type HeadFilter = 'threshold' | 'none';

/** The logarithm in the threshold's log n_t; the paper writes "ln", so 'natural' is the default (decision). */
export type ThresholdLog = 'natural' | 'log2' | 'log10';

/**
 * How the per-head losses of one prompt combine (decision: 'sum' over the passing heads of all
 * layers). 'mean' divides by the number of heads L·H, passing or not, so it only rescales the
 * gradient; dividing by the number of *passing* heads would make the scale data-dependent.
 */
export type HeadReduction = 'sum' | 'mean';

/** How prompts combine (decision: 'mean' over the prompts of a pseudo-batch); 'sum' leaves them unscaled. */
export type PromptReduction = 'mean' | 'sum';

/** The PID rule of App. A.3 that moves the punishment 𝒜 after every pseudo-batch (see pid.ts). */
export interface PidOptions {
  /** false: 𝒜 stays at its initial value (the "no PID" ablation). */
  readonly enabled: boolean;
  /** Gain on n̄_t − n̄_{t−1}. */
  readonly kp: number;
  /** Gain on Σ_{i=2..t} (n̄_i − n̄_{i−1}). */
  readonly ki: number;
  /** Gain on n̄_t − 2 n̄_{t−1} + n̄_{t−2}. */
  readonly kd: number;
  /** Decision: a negative 𝒜 would reward attention on wrong labels, so 𝒜 is held at ≥ 0. */
  readonly clampAtZero: boolean;
}

export interface AbftObjectiveOptions {
  /** 𝒜₀, the weight on attention to wrong labels I⁻ at the first pseudo-batch (fixed when the PID is off). */
  readonly punishment: number;
  /** ℬ, the weight on missing attention to correct labels I⁺; fixed throughout. */
  readonly reward: number;
  readonly pid: PidOptions;
  readonly headFilter: HeadFilter;
  readonly thresholdLog: ThresholdLog;
  readonly headReduction: HeadReduction;
  readonly promptReduction: PromptReduction;
}

export const defaultAbftObjective: AbftObjectiveOptions = Object.freeze({
  punishment: 0.5,
  reward: 1.0,
  pid: Object.freeze({ enabled: true, kp: 0.03, ki: 0.005, kd: 0.005, clampAtZero: true }),
  headFilter: 'threshold',
  thresholdLog: 'natural',
  headReduction: 'sum',
  promptReduction: 'mean',
});

export type AbftPresetName = 'abft' | 'noPid' | 'noHeadFilter' | 'noPunishment' | 'noReward';

const withPid = (enabled: boolean) => Object.freeze({ ...defaultAbftObjective.pid, enabled });

/**
 * The full method and the ablations of the paper's Table 4. 'noPunishment' also turns the PID off:
 * the PID would move 𝒜 away from 0 after the second pseudo-batch. 'noReward' keeps the PID, since 𝒜
 * is still there to steer (decision; the paper does not say).
 */
export const abftObjectivePresets: Readonly<Record<AbftPresetName, AbftObjectiveOptions>> = Object.freeze({
  abft: defaultAbftObjective,
  noPid: Object.freeze({ ...defaultAbftObjective, pid: withPid(false) }),
  noHeadFilter: Object.freeze({ ...defaultAbftObjective, headFilter: 'none' }),
  noPunishment: Object.freeze({ ...defaultAbftObjective, punishment: 0, pid: withPid(false) }),
  noReward: Object.freeze({ ...defaultAbftObjective, reward: 0 }),
});
