import { describe, expect, it } from 'vitest';
import { AUTOSAVE_MIN_INTERVAL_MS, AutosaveSchedule, autosaveName, isAutosaveName } from './autosave';

describe('AutosaveSchedule', () => {
  it('saves right after the first step, then when the time since the last save is 50 times what a save took, and at least 5 s', () => {
    let now = 0;
    const schedule = new AutosaveSchedule(null, () => now);
    expect(schedule.due(1, 100)).toBe(true);
    now = 200;
    schedule.saved(200);
    // A 200 ms save: the next one 10 s after it ended.
    now = 200 + 9_999;
    expect(schedule.due(5, 100)).toBe(false);
    now = 200 + 10_000;
    expect(schedule.due(6, 100)).toBe(true);
    // A cheap save: no more than one every 5 s.
    schedule.saved(1);
    now += AUTOSAVE_MIN_INTERVAL_MS - 1;
    expect(schedule.due(7, 100)).toBe(false);
    now += 1;
    expect(schedule.due(8, 100)).toBe(true);
  });

  it('saves every n steps when asked, and never after the last step', () => {
    const schedule = new AutosaveSchedule(2, () => 0);
    expect([1, 2, 3, 4, 5, 6].map((step) => schedule.due(step, 6))).toEqual([false, true, false, true, false, false]);
    expect(new AutosaveSchedule(null, () => 0).due(1, 1)).toBe(false);
  });
});

describe('autosave names', () => {
  it('are apart from every name a user can give, and refuse run ids that are not plain', () => {
    expect(autosaveName('3f0c-11aa')).toBe('.autosave-3f0c-11aa');
    expect(isAutosaveName('.autosave-3f0c-11aa')).toBe(true);
    expect(isAutosaveName('autosave-3f0c')).toBe(false);
    expect(() => autosaveName('../x')).toThrow('The run id "../x" cannot name an autosave');
  });
});
