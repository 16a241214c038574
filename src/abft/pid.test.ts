import { describe, expect, it } from 'vitest';
import { defaultAbftObjective, type PidOptions } from './objective';
import { PunishmentController } from './pid';

const PID: PidOptions = defaultAbftObjective.pid;
const NO_CLAMP: PidOptions = { ...PID, clampAtZero: false };
// The expected values are short decimals; float64 rounding of the recurrence stays far below 1e-12.
const DIGITS = 12;

function run(controller: PunishmentController, observations: number[]): number[] {
  return observations.map((n) => controller.observe(n));
}

describe('PunishmentController (App. A.3)', () => {
  it('follows the PID rule over 6 pseudo-batches', () => {
    // n̄ = 10, 12, 15, 14, 18, 20; 𝒜_t = 0.03 P + 0.005 I + 0.005 D + 𝒜_{t−1} with
    // P = n̄_t − n̄_{t−1}, I = Σ_{i=2..t} (n̄_i − n̄_{i−1}) = n̄_t − n̄_1, D = n̄_t − 2 n̄_{t−1} + n̄_{t−2}:
    // t = 1, 2: 𝒜 = 𝒜₀ = 0.5
    // t = 3: P = 3,  I = 5,  D = 15 − 24 + 10 = 1   → 0.09 + 0.025 + 0.005 + 0.5   = 0.62
    // t = 4: P = −1, I = 4,  D = 14 − 30 + 12 = −4  → −0.03 + 0.02 − 0.02 + 0.62  = 0.59
    // t = 5: P = 4,  I = 8,  D = 18 − 28 + 15 = 5   → 0.12 + 0.04 + 0.025 + 0.59  = 0.775
    // t = 6: P = 2,  I = 10, D = 20 − 36 + 14 = −2  → 0.06 + 0.05 − 0.01 + 0.775  = 0.875
    const expected = [0.5, 0.5, 0.62, 0.59, 0.775, 0.875];
    const c = new PunishmentController(0.5, PID);
    expect(c.current).toBe(0.5);
    run(c, [10, 12, 15, 14, 18, 20]).forEach((a, i) => expect(a, `𝒜_${i + 1}`).toBeCloseTo(expected[i], DIGITS));
    expect(c.current).toBeCloseTo(0.875, DIGITS);
  });

  it('clamps 𝒜 at 0 and continues the recurrence from the clamped value', () => {
    // n̄ = 30, 20, 0, 0, 0, 40:
    // t = 3: P = −20, I = −30, D = 0 − 40 + 30 = −10 → −0.6 − 0.15 − 0.05 = −0.8 (+ 0.5)
    // t = 4: P = 0,   I = −30, D = 0 − 0 + 20 = 20   → 0 − 0.15 + 0.1    = −0.05
    // t = 5: P = 0,   I = −30, D = 0                 → −0.15
    // t = 6: P = 40,  I = 10,  D = 40 − 0 + 0 = 40   → 1.2 + 0.05 + 0.2  = 1.45
    const observations = [30, 20, 0, 0, 0, 40];
    const clamped = run(new PunishmentController(0.5, PID), observations);
    [0.5, 0.5, 0, 0, 0, 1.45].forEach((a, i) => expect(clamped[i], `clamped 𝒜_${i + 1}`).toBeCloseTo(a, DIGITS));
    // Unclamped: 0.5 − 0.8 = −0.3, −0.3 − 0.05 = −0.35, −0.35 − 0.15 = −0.5, −0.5 + 1.45 = 0.95.
    const free = run(new PunishmentController(0.5, NO_CLAMP), observations);
    [0.5, 0.5, -0.3, -0.35, -0.5, 0.95].forEach((a, i) => expect(free[i], `unclamped 𝒜_${i + 1}`).toBeCloseTo(a, DIGITS));
  });

  it('holds 𝒜 fixed when disabled', () => {
    const c = new PunishmentController(0.25, { ...PID, enabled: false });
    expect(run(c, [10, 12, 15, 14, 18, 20])).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
    expect(c.current).toBe(0.25);
  });

  it('resumes from a saved state exactly as if never interrupted', () => {
    const observations = [10, 12, 15, 14, 18, 20];
    const straight = run(new PunishmentController(0.5, PID), observations);
    for (const cut of [0, 1, 2, 4]) {
      const first = new PunishmentController(0.5, PID);
      run(first, observations.slice(0, cut));
      // Through JSON, as a checkpoint file would carry it.
      const saved = JSON.parse(JSON.stringify(first.state()));
      const resumed = new PunishmentController(0.5, PID);
      resumed.restore(saved);
      expect(resumed.state()).toEqual(first.state());
      expect([...straight.slice(0, cut), ...run(resumed, observations.slice(cut))]).toEqual(straight);
    }
  });

  it('rejects invalid observations, states and gains', () => {
    const c = new PunishmentController(0.5, PID);
    expect(() => c.observe(NaN)).toThrow(/mean passing heads is NaN/);
    expect(() => c.restore({ step: 3, punishment: 0.5, integral: 0, history: [1] })).toThrow(/invalid state/);
    expect(() => new PunishmentController(0.5, { ...PID, kp: Infinity })).toThrow(/pid.kp is Infinity/);
  });
});
