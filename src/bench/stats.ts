/** Summary of repeated timings: the median, and the spread as min / max and the relative half-range. */
export interface TimingSummary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** (max - min) / 2 / median: 0.05 means the runs stayed within ±5 % of the median. */
  readonly spread: number;
  readonly samples: readonly number[];
}

export function summarize(samples: readonly number[]): TimingSummary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  const [min, max] = [s[0], s[s.length - 1]];
  return { median, min, max, spread: median > 0 ? (max - min) / 2 / median : 0, samples: [...samples] };
}
