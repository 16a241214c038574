import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_K, useDataStore } from './data-store';
import { DEFAULT_SETTINGS, savedSettings, trainOptionsOf, useTrainingStore } from './training-store';

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
