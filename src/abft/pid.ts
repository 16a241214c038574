import type { PidOptions } from './objective';

/** A checkpointable snapshot of a PunishmentController. */
export interface PunishmentControllerState {
  /** t of the last observed pseudo-batch (0 before the first). */
  readonly step: number;
  /** 𝒜_t, the value for the next pseudo-batch. */
  readonly punishment: number;
  /** Σ_{i=2..t} (n̄_i − n̄_{i−1}). */
  readonly integral: number;
  /** n̄_{t−1}, n̄_t: the last observations, oldest first (fewer before t = 2). */
  readonly history: readonly number[];
}

/**
 * The punishment 𝒜 under the PID rule of App. A.3 (ABFT-SPEC.md §3), with n̄_t the mean number of
 * passing heads per prompt in pseudo-batch t:
 *
 *   𝒜_t = kp (n̄_t − n̄_{t−1}) + ki Σ_{i=2..t} (n̄_i − n̄_{i−1}) + kd (n̄_t − 2 n̄_{t−1} + n̄_{t−2}) + 𝒜_{t−1}   for t > 2,
 *   𝒜_t = 𝒜₀                                                                                         for t ≤ 2.
 *
 * Indexing: pseudo-batches count from t = 1. Pseudo-batch t trains with 𝒜_{t−1} (𝒜_0 = 𝒜₀), and
 * `observe(n̄_t)` after it returns 𝒜_t, the value for pseudo-batch t + 1. So the first three
 * pseudo-batches train with 𝒜₀ and the first 𝒜 that moves is 𝒜_3, the earliest at which the
 * second difference n̄_t − 2 n̄_{t−1} + n̄_{t−2} exists.
 *
 * With clampAtZero, 𝒜_t is clamped after each step and the clamped value is the 𝒜_{t−1} of the
 * next step: the recurrence continues from the 𝒜 that was actually applied.
 */
export class PunishmentController {
  private step = 0;
  private punishment: number;
  private integral = 0;
  private history: number[] = [];

  constructor(
    private readonly initial: number,
    private readonly pid: PidOptions,
  ) {
    if (!Number.isFinite(initial)) throw new Error(`PunishmentController: initial punishment is ${initial}, expected a finite number`);
    for (const gain of ['kp', 'ki', 'kd'] as const) {
      if (!Number.isFinite(pid[gain])) throw new Error(`PunishmentController: pid.${gain} is ${pid[gain]}, expected a finite number`);
    }
    this.punishment = initial;
  }

  /** 𝒜 for the pseudo-batch about to run. */
  get current(): number {
    return this.punishment;
  }

  /** Takes n̄_t of the pseudo-batch just trained and returns 𝒜_t for the next one. */
  observe(meanPassingHeads: number): number {
    if (!Number.isFinite(meanPassingHeads)) {
      throw new Error(`PunishmentController.observe: mean passing heads is ${meanPassingHeads}, expected a finite number`);
    }
    if (!this.pid.enabled) return this.initial;
    this.step += 1;
    const n = meanPassingHeads;
    const [prev2, prev] = this.history.length === 2 ? this.history : [NaN, this.history[0]];
    if (this.step >= 2) this.integral += n - prev;
    if (this.step > 2) {
      const { kp, ki, kd } = this.pid;
      const next = kp * (n - prev) + ki * this.integral + kd * (n - 2 * prev + prev2) + this.punishment;
      this.punishment = this.pid.clampAtZero ? Math.max(0, next) : next;
    }
    this.history = this.step === 1 ? [n] : [prev, n];
    return this.punishment;
  }

  state(): PunishmentControllerState {
    return { step: this.step, punishment: this.punishment, integral: this.integral, history: [...this.history] };
  }

  restore(state: PunishmentControllerState): void {
    const { step, punishment, integral, history } = state;
    const ok =
      Number.isInteger(step) &&
      step >= 0 &&
      Number.isFinite(punishment) &&
      Number.isFinite(integral) &&
      Array.isArray(history) &&
      history.length === Math.min(step, 2) &&
      history.every(Number.isFinite);
    if (!ok) throw new Error(`PunishmentController.restore: invalid state ${JSON.stringify(state)} (expected history of min(step, 2) finite values)`);
    this.step = step;
    this.punishment = punishment;
    this.integral = integral;
    this.history = [...history];
  }
}
