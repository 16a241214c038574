/** Small run records for the unit tests of series and reports. */
import { compactStep, type RunRecord } from '../../store/run-history-store';
import { DEFAULT_SETTINGS, trainOptionsOf } from '../../store/training-store';
import type { SuiteReport } from '../../abft/suite';
import type { StepMetrics } from '../../train/trainer';

/** Step `step` of a 2-layer × 2-head ABFT run (or end-to-end, without head statistics). */
export function stepMetrics(step: number, abft = true): StepMetrics {
  const head = (l: number, h: number) => ({ plus: 0.1 * (l + 1) + 0.01 * step, minus: 0.05 * (h + 1), sink: 0.5, passRate: l === 0 && h === 1 ? 0 : 1 });
  return {
    step,
    loss: 1 / step,
    punishment: 0.1 * step,
    nextPunishment: 0.1 * (step + 1),
    passingHeads: 3,
    perLayerHead: abft ? [0, 1].map((l) => [0, 1].map((h) => head(l, h))) : null,
    gradNorm: 0.5,
    ms: 200,
    tokens: 400,
    tokensPerSecond: 2000,
  };
}

export function runRecord(steps: number, overrides: Partial<RunRecord> = {}): RunRecord {
  const abft = overrides.settings?.objective !== 'end-to-end';
  const settings = { ...DEFAULT_SETTINGS, steps };
  const report = (accuracy: number): SuiteReport => ({
    test: { accuracy, macroF1: accuracy - 0.05, confusion: [[1, 0], [0, 1]], count: 4, prompts: '4:0000000a' },
    demonstrationConsistency: { consistency: accuracy - 0.1, queries: 2, variantsPerQuery: 8, prompts: '16:0000000b' },
    templateConsistency: { consistency: accuracy - 0.2, queries: 2, variantsPerQuery: 9, prompts: '18:0000000c' },
    unseenLabel: { accuracy: accuracy - 0.25, count: 2, prompts: '2:0000000d' },
  });
  return {
    id: `run-${steps}`,
    startedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    endedAt: Date.UTC(2026, 0, 2, 3, 5, 0),
    modelLabel: 'tiny-llama <test>',
    dataName: 'synthetic reviews',
    layers: 2,
    heads: 2,
    settings,
    options: trainOptionsOf(settings, 4, 'sequence'),
    outcome: 'done',
    steps: Array.from({ length: steps }, (_, i) => compactStep(stepMetrics(i + 1, abft))),
    evaluationBefore: report(0.5),
    evaluationAfter: report(0.75),
    deltaNorms: [
      { layer: 0, q: 1e-3, k: 2e-3 },
      { layer: 1, q: 3e-3, k: 4e-3 },
    ],
    ...overrides,
  };
}
