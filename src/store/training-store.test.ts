import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_K, useDataStore } from './data-store';
import { ALL_MEASURES, anyMeasure, DEFAULT_SETTINGS, savedSettings, trainOptionsOf, useTrainingStore } from './training-store';

/** What the store's rehydration makes of settings saved by an older version. */
const rehydrate = savedSettings;

describe('k, one setting shared by the Data and Train steps', () => {
  beforeEach(() => useDataStore.getState().setK(DEFAULT_K));

  it("trains with the data store's k", () => {
    useDataStore.getState().setK(7);
    expect(trainOptionsOf(DEFAULT_SETTINGS, useDataStore.getState().k, useDataStore.getState().labelScoring).k).toBe(7);
    expect('k' in useTrainingStore.getState().settings).toBe(false);
  });

  it("moves the Train step's own k of older saved settings into the data store, keeping the other settings", async () => {
    await useDataStore.persist.rehydrate();
    const merged = rehydrate({ settings: { lr: 0.02, steps: 9, k: 6 } });
    expect(merged).toEqual({ ...DEFAULT_SETTINGS, lr: 0.02, steps: 9 });
    await Promise.resolve();
    expect(useDataStore.getState().k).toBe(6);
  });

  it('waits for the data store to load before moving k, so the loaded data does not overwrite it', async () => {
    const loading = useDataStore.persist.rehydrate();
    rehydrate({ settings: { k: 3 } });
    await loading;
    expect(useDataStore.getState().k).toBe(3);
  });

  it('ignores a saved k that is not a usable number', async () => {
    await useDataStore.persist.rehydrate();
    rehydrate({ settings: { k: 'four' } });
    rehydrate({ settings: { k: 0 } });
    rehydrate(undefined);
    await Promise.resolve();
    expect(useDataStore.getState().k).toBe(DEFAULT_K);
  });
});

describe('the evaluation measures, one persisted setting for Evaluate and the before/after evaluation', () => {
  it('runs every measure by default, as abft train does, and keeps them out of the run options', () => {
    expect(DEFAULT_SETTINGS.measures).toEqual(ALL_MEASURES);
    expect('measures' in trainOptionsOf(DEFAULT_SETTINGS, 4, 'sequence')).toBe(false);
  });

  it('keeps saved measures, and gives settings saved before them (or broken ones) every measure', () => {
    const picked = { test: true, demonstrationConsistency: false, templateConsistency: true, unseenLabel: false };
    expect(rehydrate({ settings: { measures: picked, steps: 4 } })).toEqual({ ...DEFAULT_SETTINGS, steps: 4, measures: picked });
    expect(rehydrate({ settings: { steps: 4 } }).measures).toEqual(ALL_MEASURES);
    expect(rehydrate({ settings: { measures: { test: false } } }).measures).toEqual(ALL_MEASURES);
    expect(rehydrate({ settings: { measures: 'all' } }).measures).toEqual(ALL_MEASURES);
    expect(anyMeasure({ ...picked, test: false, templateConsistency: false })).toBe(false);
  });

  it('refuses to evaluate with no measure picked, saying what to do', async () => {
    const { settings } = useTrainingStore.getState();
    useTrainingStore.getState().setSetting('measures', { test: false, demonstrationConsistency: false, templateConsistency: false, unseenLabel: false });
    try {
      await useTrainingStore.getState().evaluate();
      expect(useTrainingStore.getState().evaluation).toEqual({ state: 'failed', message: expect.stringContaining('pick at least one') });
    } finally {
      useTrainingStore.setState({ settings, evaluation: { state: 'idle' } });
    }
  });
});
