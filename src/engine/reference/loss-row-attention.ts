/**
 * Float64 references for shaders/loss_row_attention.wgsl, written the naive way. Layouts as the GPU
 * ops: q [B, R, Hq, D] (the chosen rows' queries), k [B, T, Hkv, D], keyMask [B, T], rows [B, R],
 * probabilities and their gradients [B, Hq, R, T], lse [B, Hq, R].
 */
import { firstKeyRef, type AttentionDims } from './attention';

type Arr = ArrayLike<number>;

function layout(dims: AttentionDims, R: number) {
  const { T, Hq, Hkv, D } = dims;
  const group = Hq / Hkv;
  return {
    scale: dims.scale ?? 1 / Math.sqrt(D),
    qAt: (b: number, r: number, h: number) => ((b * R + r) * Hq + h) * D,
    kAt: (b: number, j: number, h: number) => ((b * T + j) * Hkv + Math.floor(h / group)) * D,
    rowAt: (b: number, h: number, r: number) => (b * Hq + h) * R + r,
  };
}

/** Probabilities [B, Hq, R, T] and lse [B, Hq, R]; a row outside [0, T) or that sees no key is all zero with lse 0. */
export function lossRowProbsRef(q: Arr, k: Arr, keyMask: Arr, rows: Arr, dims: AttentionDims): { probs: Float64Array; lse: Float64Array } {
  const { B, T, Hq, D } = dims;
  const R = rows.length / B;
  const { scale, qAt, kAt, rowAt } = layout(dims, R);
  const probs = new Float64Array(B * Hq * R * T);
  const lse = new Float64Array(B * Hq * R);
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < R; r++) {
      const i = rows[b * R + r];
      if (i < 0 || i >= T) continue;
      const sees = (j: number) => j >= firstKeyRef(i, dims) && j <= i && keyMask[b * T + j] !== 0;
      for (let h = 0; h < Hq; h++) {
        const out = probs.subarray(rowAt(b, h, r) * T, (rowAt(b, h, r) + 1) * T);
        let max = -Infinity;
        for (let j = 0; j < T; j++) {
          if (!sees(j)) continue;
          let s = 0;
          for (let d = 0; d < D; d++) s += q[qAt(b, r, h) + d] * k[kAt(b, j, h) + d];
          out[j] = scale * s;
          max = Math.max(max, out[j]);
        }
        if (max === -Infinity) continue;
        let sum = 0;
        for (let j = 0; j < T; j++) if (sees(j)) sum += Math.exp(out[j] - max);
        for (let j = 0; j < T; j++) out[j] = sees(j) ? Math.exp(out[j] - max) / sum : 0;
        lse[rowAt(b, h, r)] = max + Math.log(sum);
      }
    }
  }
  return { probs, lse };
}

/**
 * Gradients of <probsGrad, probs> with respect to q and k: dS_j = P_j (G_j - sum_l P_l G_l),
 * dq = scale dS k, dk = scale dS^T q summed over the rows and the query heads of each kv head.
 */
export function lossRowProbsBackwardRef(
  inputs: { q: Arr; k: Arr; keyMask: Arr; rows: Arr; probsGrad: Arr },
  dims: AttentionDims,
): { dq: Float64Array; dk: Float64Array } {
  const { q, k, keyMask, rows, probsGrad } = inputs;
  const { B, T, Hq, Hkv, D } = dims;
  const R = rows.length / B;
  const { scale, qAt, kAt, rowAt } = layout(dims, R);
  const { probs } = lossRowProbsRef(q, k, keyMask, rows, dims);
  const dq = new Float64Array(B * R * Hq * D);
  const dk = new Float64Array(B * T * Hkv * D);
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < R; r++) {
      for (let h = 0; h < Hq; h++) {
        const row0 = rowAt(b, h, r) * T;
        let delta = 0;
        for (let j = 0; j < T; j++) delta += probs[row0 + j] * probsGrad[row0 + j];
        for (let j = 0; j < T; j++) {
          const ds = probs[row0 + j] * (probsGrad[row0 + j] - delta);
          const [qi, kj] = [qAt(b, r, h), kAt(b, j, h)];
          for (let d = 0; d < D; d++) {
            dq[qi + d] += scale * ds * k[kj + d];
            dk[kj + d] += scale * ds * q[qi + d];
          }
        }
      }
    }
  }
  return { dq, dk };
}
