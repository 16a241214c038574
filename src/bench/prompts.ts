/**
 * The benchmark's prompts: `count` prompts of exactly `tokens` random token ids (no padding, so our
 * engine and the PyTorch reference do the same work and the FLOP count is exact), each with k = 4
 * demonstration label positions spread over the prompt and a gold label among 2 classes, as an
 * SST-2 prompt of that length would have. The ids do not change the work, only the values.
 * scripts/gpu/bench_pytorch.py builds its prompts by the same rule.
 */
import type { LabelTargets } from '../abft/label-scoring';
import type { PreparedPrompt } from '../abft/prepared';
import { rng } from '../engine/random';

export const BENCH_K = 4;
export const BENCH_CLASSES = 2;
/**
 * Two token ids standing for the label words ("negative", "positive"); any ids do for timing. Scored
 * by their last-token logits, the two LM-head rows that scripts/gpu/bench_pytorch.py computes too.
 */
export const BENCH_LABELS: LabelTargets = { scoring: 'first', words: ['negative', 'positive'], tokens: [[11], [12]] };

/** Label positions of a prompt of n tokens: k evenly spaced, the last well before the end (the query follows). */
export function benchLabelPositions(n: number): number[] {
  return Array.from({ length: BENCH_K }, (_, i) => Math.floor(((i + 1) * (n - 8)) / (BENCH_K + 1)));
}

export function benchPrompts(count: number, tokens: number, vocabSize: number, seed = 1): PreparedPrompt[] {
  if (!Number.isInteger(tokens) || tokens < 16) throw new Error(`benchPrompts: ${tokens} tokens per prompt; use 16 or more, room for ${BENCH_K} demonstrations and a query`);
  const random = rng(seed);
  return Array.from({ length: count }, () => {
    const ids = Array.from({ length: tokens }, () => Math.floor(random() * vocabSize));
    const labels = benchLabelPositions(tokens);
    const demonstrationLabels = labels.map(() => Math.floor(random() * BENCH_CLASSES));
    const gold = Math.floor(random() * BENCH_CLASSES);
    return {
      ids,
      plus: labels.filter((_, i) => demonstrationLabels[i] === gold),
      minus: labels.filter((_, i) => demonstrationLabels[i] !== gold),
      gold,
      demonstrationLabels,
    };
  });
}
