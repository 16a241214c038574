import { describe, expect, it } from 'vitest';
import type { PretrainStepReport } from '../../train/protocol';
import { etaText, formatDuration, msPerStep, softwareAdapterText } from './eta';

const step = (n: number, ms: number): PretrainStepReport => ({ step: n, loss: 5, lr: 1e-3, gradNorm: 1, tokens: n * 100, ms });

describe('the pretraining ETA', () => {
  it('waits for two steps after the first, which compiles the shaders, and takes their median', () => {
    expect(msPerStep([step(1, 9000)])).toBeNull();
    expect(msPerStep([step(1, 9000), step(2, 1000)])).toBeNull();
    expect(msPerStep([step(1, 9000), step(2, 1000), step(3, 1400)])).toBe(1200);
    expect(msPerStep([step(1, 9000), step(2, 1000), step(3, 5000), step(4, 1100)])).toBe(1100);
  });

  it('says the speed, the whole run and where the phase change came', () => {
    expect(etaText({ msPerStep: 3600, steps: 1200, batch: 32, adapterName: 'Google / swiftshader' })).toBe(
      '3.6 s per step on Google / swiftshader: the 1,200 steps would take about 72 min; the phase change of this recipe came at steps 700-800, about 42 min in at this speed.',
    );
    expect(etaText({ msPerStep: 12, steps: 500, batch: 8, adapterName: 'nvidia' })).toBe(
      "12 ms per step on nvidia: the 500 steps would take about 6 s; the phase change of this recipe came at steps 700-800 at 32 sequences a step, past this run's 500 steps.",
    );
  });

  it('rounds durations to what a person plans with', () => {
    expect([400, 59_000, 30 * 60_000, 5 * 3_600_000, 100 * 3_600_000].map(formatDuration)).toEqual(['1 s', '59 s', '30 min', '5.0 h', '4.2 days']);
  });

  it('says plainly that a software adapter is slow, and that the run may still go on', () => {
    expect(softwareAdapterText('llvmpipe', { msPerStep: 3600, steps: 10000 })).toBe(
      "llvmpipe is a software adapter: it runs the GPU's work on the CPU, so pretraining here is slow. The 10,000 steps would take about 10.0 h here. You can still run it, and stop it at any step.",
    );
    expect(softwareAdapterText('llvmpipe', null)).toMatch(/How long the run would take shows after its first steps\. You can still run it/);
  });
});
