import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runRecord } from '../ui/train/fixtures';
import type { InterruptedRun } from './interrupted-run-store';
import { RunJournal } from './run-journal';

describe('RunJournal', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes at the first step, then at most every 2 s with the latest record, at once when asked, and never after it is closed', async () => {
    let steps = 0;
    const written: number[] = [];
    const journal = new RunJournal(
      () => ({ record: runRecord(steps), data: { kind: 'synthetic', size: 8, seed: 1 }, evaluation: null }) as InterruptedRun,
      async (run) => void written.push(run.record.steps.length),
    );
    steps = 1;
    journal.stepped();
    steps = 2;
    journal.stepped();
    steps = 3;
    journal.stepped();
    expect(written).toEqual([1]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(written).toEqual([1, 3]);
    steps = 4;
    await journal.write();
    expect(written).toEqual([1, 3, 4]);
    steps = 5;
    journal.stepped();
    journal.close();
    await vi.advanceTimersByTimeAsync(5_000);
    await journal.write();
    expect(written).toEqual([1, 3, 4]);
  });
});
