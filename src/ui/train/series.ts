/** Chart rows and head-grid cells derived from step records: pure, so charts can memoise them. */
import type { HeadSummary } from '../../abft/loss';
import type { StepRecord } from '../../store/run-history-store';
import type { SuiteReport } from '../../abft/suite';

export interface StepPoint {
  readonly step: number;
  readonly loss: number;
  /** Null on end-to-end steps, which have no 𝒜 and no head filter: the line leaves a gap. */
  readonly punishment: number | null;
  readonly passingHeads: number | null;
  readonly gradNorm: number;
  readonly tokensPerSecond: number;
}

export type StepKey = Exclude<keyof StepPoint, 'step'>;

export function stepSeries(steps: readonly StepRecord[]): StepPoint[] {
  return steps.map((s) => ({
    step: s.step,
    loss: s.loss,
    punishment: s.heads ? s.punishment : null,
    passingHeads: s.heads ? s.passingHeads : null,
    gradNorm: s.gradNorm,
    tokensPerSecond: s.tokensPerSecond,
  }));
}

/** One row per step of either run, with run a's value under `a` and run b's under `b`. */
export function compareSeries(a: readonly StepPoint[], b: readonly StepPoint[], key: StepKey): { step: number; a: number | null; b: number | null }[] {
  const rows = new Map<number, { step: number; a: number | null; b: number | null }>();
  const row = (step: number) => rows.get(step) ?? rows.set(step, { step, a: null, b: null }).get(step)!;
  for (const p of a) row(p.step).a = p[key];
  for (const p of b) row(p.step).b = p[key];
  return [...rows.values()].sort((x, y) => x.step - y.step);
}

export interface AccuracyPair {
  readonly before: SuiteReport | null;
  readonly after: SuiteReport | null;
}

/** Bar rows 'before' and 'after', with run i's accuracy in percent under `r${i}`; absent when not measured. */
export function accuracyRows(runs: readonly AccuracyPair[]): Record<string, string | number>[] {
  return (['before', 'after'] as const).map((when) => {
    const row: Record<string, string | number> = { when };
    runs.forEach((run, i) => {
      const test = run[when]?.test;
      if (test) row[`r${i}`] = Math.round(test.accuracy * 1000) / 10;
    });
    return row;
  });
}

export interface HeadCell {
  readonly layer: number;
  readonly head: number;
  /** plus / (plus + minus): 1 when all label attention is on correct labels, 0.5 when there is none. */
  readonly share: number;
  /** Label attention relative to the grid's largest, in [0, 1]. */
  readonly strength: number;
  readonly passes: boolean;
  readonly label: string;
}

const fixed = (v: number) => v.toFixed(3);

export function headLabel(layer: number, head: number, h: HeadSummary): string {
  return (
    `layer ${layer}, head ${head}: correct labels ${fixed(h.plus)}, wrong labels ${fixed(h.minus)}, ` +
    `first token ${fixed(h.sink)}, passes the filter on ${Math.round(h.passRate * 100)}% of prompts`
  );
}

export function headCells(grid: readonly (readonly HeadSummary[])[]): HeadCell[][] {
  const most = Math.max(1e-12, ...grid.flat().map((h) => h.plus + h.minus));
  return grid.map((row, layer) =>
    row.map((h, head) => {
      const mass = h.plus + h.minus;
      return {
        layer,
        head,
        share: mass > 0 ? h.plus / mass : 0.5,
        strength: mass / most,
        passes: h.passRate > 0,
        label: headLabel(layer, head, h),
      };
    }),
  );
}
