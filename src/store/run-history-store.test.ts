import { beforeEach, describe, expect, it } from 'vitest';
import { runRecord, stepMetrics } from '../ui/train/fixtures';
import { compactStep, headGrid, runTitle, upgradeRecord, useRunHistoryStore } from './run-history-store';

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

  it('reads a record of version 1, accuracy alone, as a suite report that ran the test measure only', () => {
    const { evaluationBefore, evaluationAfter, ...rest } = runRecord(2);
    const accuracy = { accuracy: 0.5, macroF1: 0.45, confusion: [[1, 1], [0, 2]], count: 4 };
    const v1 = { ...rest, accuracyBefore: accuracy, accuracyAfter: null };
    const upgraded = { ...rest, evaluationBefore: { test: { ...accuracy, prompts: '' }, demonstrationConsistency: null, templateConsistency: null, unseenLabel: null }, evaluationAfter: null };
    expect(upgradeRecord(v1)).toEqual(upgraded);
    expect(upgradeRecord(upgradeRecord(v1))).toEqual(upgraded);
    // The store's migration of a saved version-1 state.
    expect(useRunHistoryStore.persist.getOptions().migrate!({ runs: [v1] }, 1)).toEqual({ runs: [upgraded] });
    expect(evaluationBefore!.test!.prompts).not.toBe('');
    expect(evaluationAfter).not.toBeNull();
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
