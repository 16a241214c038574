/**
 * Keeps the record of the run training now in IndexedDB as it goes (interrupted-run-store), so
 * that a reload or a crash finds it: at its first step, then at most every couple of seconds (each
 * write clones the whole record), and at once when an autosave waits for it.
 */
import type { InterruptedRun } from './interrupted-run-store';

const INTERVAL_MS = 2_000;

export class RunJournal {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastWrite = -Infinity;
  private closed = false;

  constructor(
    private readonly current: () => InterruptedRun,
    private readonly keep: (run: InterruptedRun) => Promise<void>,
  ) {}

  /** After a step; a write that fails here is retried by the next one. */
  stepped(): void {
    if (this.closed || this.timer) return;
    const wait = this.lastWrite + INTERVAL_MS - performance.now();
    if (wait <= 0) void this.write().catch(() => undefined);
    else this.timer = setTimeout(() => void this.write().catch(() => undefined), wait);
  }

  /** Now; resolves once the record is committed, rejects when it could not be. */
  write(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lastWrite = performance.now();
    return this.keep(this.current());
  }

  /** The run ended: nothing more is written, so a later clear of the record stays cleared. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
