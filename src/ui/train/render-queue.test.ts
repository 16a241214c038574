import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cancelRedraw, enqueueRedraw, queuedRedraws } from './render-queue';

describe('the redraw queue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs one redraw per task, in order, a newer job of the same owner keeping its place', async () => {
    const ran: string[] = [];
    const [a, b, c] = [{}, {}, {}];
    enqueueRedraw(a, () => ran.push('a1'));
    enqueueRedraw(b, () => ran.push('b'));
    enqueueRedraw(c, () => ran.push('c'));
    enqueueRedraw(a, () => ran.push('a2'));
    cancelRedraw(c);
    expect(ran).toEqual([]);
    await vi.advanceTimersToNextTimerAsync();
    expect(ran).toEqual(['a2']);
    await vi.advanceTimersToNextTimerAsync();
    expect(ran).toEqual(['a2', 'b']);
    await vi.runAllTimersAsync();
    expect(ran).toEqual(['a2', 'b']);
    expect(queuedRedraws()).toBe(0);
  });

  it('goes on after a redraw that throws', async () => {
    const ran: string[] = [];
    enqueueRedraw({}, () => {
      throw new Error('broken chart');
    });
    enqueueRedraw({}, () => ran.push('next'));
    await expect(vi.advanceTimersToNextTimerAsync()).rejects.toThrow('broken chart');
    await vi.runAllTimersAsync();
    expect(ran).toEqual(['next']);
  });
});
