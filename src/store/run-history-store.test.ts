import { beforeEach, describe, expect, it } from 'vitest';
import { runRecord, stepMetrics } from '../ui/train/fixtures';
import { compactStep, headGrid, runTitle, useRunHistoryStore } from './run-history-store';

describe('run records', () => {
  it('keeps per-head statistics as flat [layer * heads + head] arrays that expand back to the trainer grid', () => {
    const metrics = stepMetrics(2);
    const record = compactStep(metrics);
    expect(record.heads!.plus).toHaveLength(4);
    expect(headGrid(record.heads!, 2, 2)).toEqual(metrics.perLayerHead);
    expect(record).not.toHaveProperty('perLayerHead');
    expect(compactStep(stepMetrics(1, false)).heads).toBeNull();
  });

  it('titles a run by objective or ablation', () => {
    const run = runRecord(2);
    expect(runTitle({ ...run, settings: { ...run.settings, preset: 'noPunishment' } })).toBe('ABFT, 𝒜 = 0 · 2 steps · lr 0.00002');
    expect(runTitle({ ...run, settings: { ...run.settings, objective: 'end-to-end' } })).toMatch(/^End-to-end/);
  });
});

describe('run history store', () => {
  beforeEach(() => useRunHistoryStore.setState({ runs: [], compared: [] }));

  it('adds newest first, compares at most two runs and forgets a deleted run', () => {
    const { add, toggleCompared, remove } = useRunHistoryStore.getState();
    for (const n of [1, 2, 3]) add(runRecord(n));
    expect(useRunHistoryStore.getState().runs.map((r) => r.id)).toEqual(['run-3', 'run-2', 'run-1']);
    for (const id of ['run-1', 'run-2', 'run-3']) toggleCompared(id);
    expect(useRunHistoryStore.getState().compared).toEqual(['run-2', 'run-3']);
    toggleCompared('run-2');
    expect(useRunHistoryStore.getState().compared).toEqual(['run-3']);
    remove('run-3');
    expect(useRunHistoryStore.getState()).toMatchObject({ compared: [] });
    expect(useRunHistoryStore.getState().runs.map((r) => r.id)).toEqual(['run-2', 'run-1']);
  });
});
