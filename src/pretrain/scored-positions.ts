/**
 * Which positions of a classroom sequence the pretraining loss scores: every position whose next
 * token is a label word, and each other position with probability `otherTokens`. Sampling the
 * other tokens weights the loss without a weighted kernel: in expectation it is the loss with
 * weight `otherTokens` on them. The draw depends only on (seed, sequence index), like the corpus.
 */
import type { CorpusChunk } from '../classroom/corpus';
import { rng } from '../engine/random';

export function scoredPositions(chunk: CorpusChunk, i: number, otherTokens: number, seed: number, sequenceIndex: number): Uint8Array {
  const L = chunk.length;
  const labelMask = chunk.labelMask.subarray(i * L, (i + 1) * L);
  const scored = new Uint8Array(L);
  if (otherTokens >= 1) return scored.fill(1);
  const random = rng((Math.imul(seed + 1, 0x2545f491) ^ Math.imul(sequenceIndex + 1, 0x9e3779b9)) >>> 0);
  for (let t = 0; t + 1 < L; t++) scored[t] = labelMask[t + 1] > 0 || random() < otherTokens ? 1 : 0;
  return scored;
}
