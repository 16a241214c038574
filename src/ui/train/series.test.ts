import { describe, expect, it } from 'vitest';
import { headGrid } from '../../store/run-history-store';
import { runRecord } from './fixtures';
import { accuracyRows, compareSeries, headCells, stepSeries } from './series';

describe('chart series', () => {
  it('has one point per step, with 𝒜 and passing heads only for ABFT steps', () => {
    const abft = stepSeries(runRecord(3).steps);
    expect(abft.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(abft[1]).toMatchObject({ loss: 0.5, punishment: 0.2, passingHeads: 3 });
    const e2e = stepSeries(runRecord(2, { settings: { ...runRecord(2).settings, objective: 'end-to-end' } }).steps);
    expect(e2e.map((p) => [p.punishment, p.passingHeads])).toEqual([
      [null, null],
      [null, null],
    ]);
  });

  it('lines two runs up by step, leaving gaps where one run has no such step', () => {
    const rows = compareSeries(stepSeries(runRecord(3).steps), stepSeries(runRecord(1).steps), 'loss');
    expect(rows).toEqual([
      { step: 1, a: 1, b: 1 },
      { step: 2, a: 0.5, b: null },
      { step: 3, a: 1 / 3, b: null },
    ]);
  });

  it('gives accuracy bars in percent per run, leaving out what was not measured', () => {
    const run = runRecord(1);
    expect(accuracyRows([{ before: run.evaluationBefore, after: run.evaluationAfter }, { before: null, after: run.evaluationAfter }, { before: { ...run.evaluationBefore!, test: null }, after: null }])).toEqual([
      { when: 'before', r0: 50 },
      { when: 'after', r0: 75, r1: 75 },
    ]);
  });
});

describe('head grid cells', () => {
  it('colours by the share on correct labels and the label mass relative to the grid, and labels each cell with its numbers', () => {
    const run = runRecord(1);
    const cells = headCells(headGrid(run.steps[0].heads!, run.layers, run.heads));
    expect(cells.map((row) => row.length)).toEqual([2, 2]);
    const [c00, c01] = cells[0];
    expect(c00.share).toBeCloseTo(0.11 / 0.16);
    expect(c01.passes).toBe(false);
    expect(Math.max(...cells.flat().map((c) => c.strength))).toBe(1);
    expect(c01.label).toBe('layer 0, head 1: correct labels 0.110, wrong labels 0.100, first token 0.500, passes the filter on 0% of prompts');
  });

  it('treats a head with no label attention as neutral', () => {
    const [[cell]] = headCells([[{ plus: 0, minus: 0, sink: 1, passRate: 0 }]]);
    expect(cell).toMatchObject({ share: 0.5, strength: 0 });
  });
});
