/**
 * Transfer speed and time left for a progress bar. The rate is smoothed exponentially over time,
 * so the estimate follows a real change of speed within seconds but does not jump with each chunk.
 */
export class RateMeter {
  private last: { readonly bytes: number; readonly at: number } | null = null;
  private rate: number | null = null;

  /**
   * @param halfLifeMs how fast older speed is forgotten
   * @param minIntervalMs samples closer than this are merged, since chunks often arrive in bursts
   */
  constructor(
    private readonly halfLifeMs = 3000,
    private readonly minIntervalMs = 250,
  ) {}

  /** `bytes` done so far at time `at` (ms); fewer bytes than before starts over (a new transfer). */
  update(bytes: number, at: number): void {
    if (!this.last || bytes < this.last.bytes) {
      this.last = { bytes, at };
      this.rate = null;
      return;
    }
    const dt = at - this.last.at;
    if (dt < this.minIntervalMs) return;
    const instant = ((bytes - this.last.bytes) * 1000) / dt;
    const weight = 1 - 2 ** (-dt / this.halfLifeMs);
    this.rate = this.rate === null ? instant : this.rate + weight * (instant - this.rate);
    this.last = { bytes, at };
  }

  /** Bytes per second; null until two samples far enough apart were seen. */
  bytesPerSecond(): number | null {
    return this.rate;
  }

  /** Seconds until `total` bytes at the current rate; null while the rate is unknown or zero. */
  secondsLeft(total: number): number | null {
    if (this.rate === null || this.rate <= 0 || !this.last) return null;
    return Math.max(0, total - this.last.bytes) / this.rate;
  }
}

/** "8 s", "2 min 05 s", "1 h 12 min" */
export function formatTimeLeft(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
