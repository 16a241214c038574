/**
 * Float64 reference of shaders/abft_loss.wgsl, written from ABFT-SPEC.md §3 with plain loops and
 * no code shared with the GPU path, so the tests compare two independent readings of the spec.
 */
import type { AbftObjectiveOptions, ThresholdLog } from '../objective';

export interface AbftLossRefDims {
  readonly batch: number;
  readonly heads: number;
  readonly cols: number;
}

export interface AbftLossRefOptions extends Pick<AbftObjectiveOptions, 'headFilter' | 'thresholdLog' | 'headReduction' | 'promptReduction'> {
  readonly punishment: number;
  readonly reward: number;
  readonly k: number;
  readonly batchSize: number;
}

export interface AbftLossRefResult {
  /** The objective: Σ over passing heads of all layers of L, times the reductions' factor. */
  readonly loss: number;
  /** Per layer, [B, H, T] flat: d loss / dα. */
  readonly probsGrad: Float64Array[];
  /** [B, L, H, 6]: label mass S, passed, unscaled head loss, mass on I⁺, on I⁻, on the first token. */
  readonly stats: Float64Array;
}

const LOGS: Record<ThresholdLog, (x: number) => number> = { natural: Math.log, log2: Math.log2, log10: Math.log10 };

/** T = k / (k + log n_t). */
export function headThresholdRef(k: number, length: number, log: ThresholdLog = 'natural'): number {
  return k / (k + LOGS[log](length));
}

/**
 * `probs`: per layer the last-row α [B, H, T] flat; `labels` [B, T]: +1 on I⁺, -1 on I⁻, 0 elsewhere;
 * `lengths` [B]: n_t (positions from n_t on are padding, never labels; n_t = 0 is an absent prompt).
 */
export function abftLossRef(
  probs: readonly ArrayLike<number>[],
  labels: ArrayLike<number>,
  lengths: ArrayLike<number>,
  dims: AbftLossRefDims,
  opts: AbftLossRefOptions,
): AbftLossRefResult {
  const { batch, heads, cols } = dims;
  const layers = probs.length;
  const scale =
    (opts.promptReduction === 'mean' ? 1 / opts.batchSize : 1) * (opts.headReduction === 'mean' ? 1 / (layers * heads) : 1);
  const probsGrad = probs.map(() => new Float64Array(batch * heads * cols));
  const stats = new Float64Array(batch * layers * heads * 6);
  let loss = 0;
  for (let b = 0; b < batch; b++) {
    const n = Math.min(Math.max(lengths[b], 0), cols);
    const plusSet: number[] = [];
    const minusSet: number[] = [];
    for (let j = 0; j < n; j++) {
      if (labels[b * cols + j] === 1) plusSet.push(j);
      else if (labels[b * cols + j] === -1) minusSet.push(j);
    }
    for (let l = 0; l < layers; l++) {
      for (let h = 0; h < heads; h++) {
        const row = (b * heads + h) * cols;
        const alpha = (j: number) => probs[l][row + j];
        const plus = plusSet.reduce((s, j) => s + alpha(j), 0);
        const minus = minusSet.reduce((s, j) => s + alpha(j), 0);
        const S = plus + minus;
        const passed = n > 0 && (opts.headFilter === 'none' || S > headThresholdRef(opts.k, n, opts.thresholdLog));
        const headLoss = opts.punishment * minus + opts.reward * plusSet.reduce((s, j) => s + (1 - alpha(j)), 0);
        const o = ((b * layers + l) * heads + h) * 6;
        stats.set([S, passed ? 1 : 0, passed ? headLoss : 0, plus, minus, n > 0 ? alpha(0) : 0], o);
        if (!passed) continue;
        loss += headLoss * scale;
        for (const j of minusSet) probsGrad[l][row + j] = opts.punishment * scale;
        for (const j of plusSet) probsGrad[l][row + j] = -opts.reward * scale;
      }
    }
  }
  return { loss, probsGrad, stats };
}
