/**
 * Float64 references for shaders/attention.wgsl, written the naive way: the full T x T probability
 * matrix of every head. Layouts as the GPU ops: q [B, T, Hq, D], k, v [B, T, Hkv, D], keyMask [B, T],
 * lse [B, Hq, T], rows [B, R], probabilities and their gradients [B, Hq, R, T].
 */
export interface AttentionDims {
  readonly B: number;
  readonly T: number;
  readonly Hq: number;
  readonly Hkv: number;
  readonly D: number;
  readonly scale?: number;
  /** Sliding window: query i sees keys i - window < j <= i; 0 or absent = every earlier key. */
  readonly window?: number;
}

/** The first key query i sees. */
export function firstKeyRef(i: number, dims: AttentionDims): number {
  return dims.window ? Math.max(0, i + 1 - dims.window) : 0;
}

export interface AttentionRefGrad {
  readonly rows: ArrayLike<number>;
  readonly grad: ArrayLike<number>;
}

type Arr = ArrayLike<number>;

function layout(dims: AttentionDims) {
  const { T, Hq, Hkv, D } = dims;
  const group = Hq / Hkv;
  return {
    scale: dims.scale ?? 1 / Math.sqrt(D),
    qAt: (b: number, i: number, h: number) => ((b * T + i) * Hq + h) * D,
    kvAt: (b: number, j: number, h: number) => ((b * T + j) * Hkv + Math.floor(h / group)) * D,
    pAt: (b: number, h: number, i: number) => ((b * Hq + h) * T + i) * T,
  };
}

function dot(a: Arr, ia: number, b: Arr, ib: number, n: number): number {
  let s = 0;
  for (let d = 0; d < n; d++) s += a[ia + d] * b[ib + d];
  return s;
}

/** Full probabilities [B, Hq, T, T] and lse [B, Hq, T]; a row that sees no key is all zero with lse 0. */
export function attentionFullRef(q: Arr, k: Arr, keyMask: Arr, dims: AttentionDims): { probs: Float64Array; lse: Float64Array } {
  const { B, T, Hq, D } = dims;
  const { scale, qAt, kvAt, pAt } = layout(dims);
  const probs = new Float64Array(B * Hq * T * T);
  const lse = new Float64Array(B * Hq * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      for (let i = 0; i < T; i++) {
        const row = pAt(b, h, i);
        const lo = firstKeyRef(i, dims);
        let max = -Infinity;
        for (let j = lo; j <= i; j++) {
          if (!keyMask[b * T + j]) continue;
          probs[row + j] = scale * dot(q, qAt(b, i, h), k, kvAt(b, j, h), D);
          max = Math.max(max, probs[row + j]);
        }
        if (max === -Infinity) continue;
        let sum = 0;
        for (let j = lo; j <= i; j++) if (keyMask[b * T + j]) sum += Math.exp(probs[row + j] - max);
        for (let j = lo; j <= i; j++) probs[row + j] = keyMask[b * T + j] ? Math.exp(probs[row + j] - max) / sum : 0;
        lse[(b * Hq + h) * T + i] = max + Math.log(sum);
      }
    }
  }
  return { probs, lse };
}

export function attentionRef(q: Arr, k: Arr, v: Arr, keyMask: Arr, dims: AttentionDims): { out: Float64Array; lse: Float64Array } {
  const { B, T, Hq, D } = dims;
  const { qAt, kvAt, pAt } = layout(dims);
  const { probs, lse } = attentionFullRef(q, k, keyMask, dims);
  const out = new Float64Array(B * T * Hq * D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      for (let i = 0; i < T; i++) {
        for (let j = 0; j <= i; j++) {
          const pij = probs[pAt(b, h, i) + j];
          for (let d = 0; d < D; d++) out[qAt(b, i, h) + d] += pij * v[kvAt(b, j, h) + d];
        }
      }
    }
  }
  return { out, lse };
}

/** Probabilities [B, Hq, R, T] of the rows `rows` ([B, R]); a row outside [0, T) is all zero. */
export function attentionProbsRef(q: Arr, k: Arr, keyMask: Arr, rows: Arr, dims: AttentionDims): Float64Array {
  const { B, T, Hq } = dims;
  const R = rows.length / B;
  const { pAt } = layout(dims);
  const { probs } = attentionFullRef(q, k, keyMask, dims);
  const out = new Float64Array(B * Hq * R * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      for (let r = 0; r < R; r++) {
        const i = rows[b * R + r];
        if (i < 0 || i >= T) continue;
        out.set(probs.subarray(pAt(b, h, i), pAt(b, h, i) + T), ((b * Hq + h) * R + r) * T);
      }
    }
  }
  return out;
}

/**
 * Gradients of <dOut, out> + <probsGrad.grad, probs of probsGrad.rows> with respect to q, k, v:
 * dP_ij = dO_i . v_j + G_ij, dS_ij = P_ij (dP_ij - sum_l P_il dP_il), dq = scale dS k, dk = scale dS^T q,
 * dv = P^T dO, with dk and dv summed over the query heads of each kv head.
 */
export function attentionBackwardRef(
  inputs: { q: Arr; k: Arr; v: Arr; keyMask: Arr; dOut?: Arr; probsGrad?: AttentionRefGrad },
  dims: AttentionDims,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { q, k, v, keyMask, dOut, probsGrad } = inputs;
  const { B, T, Hq, Hkv, D } = dims;
  const { scale, qAt, kvAt, pAt } = layout(dims);
  const { probs } = attentionFullRef(q, k, keyMask, dims);
  const dP = new Float64Array(probs.length);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      for (let i = 0; i < T; i++) {
        for (let j = 0; j <= i; j++) if (dOut) dP[pAt(b, h, i) + j] = dot(dOut, qAt(b, i, h), v, kvAt(b, j, h), D);
      }
    }
  }
  if (probsGrad) {
    const R = probsGrad.rows.length / B;
    for (let b = 0; b < B; b++) {
      for (let r = 0; r < R; r++) {
        const i = probsGrad.rows[b * R + r];
        if (i < 0 || i >= T) continue;
        for (let h = 0; h < Hq; h++) {
          for (let j = 0; j < T; j++) dP[pAt(b, h, i) + j] += probsGrad.grad[((b * Hq + h) * R + r) * T + j];
        }
      }
    }
  }
  const dq = new Float64Array(B * T * Hq * D);
  const dk = new Float64Array(B * T * Hkv * D);
  const dv = new Float64Array(B * T * Hkv * D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      for (let i = 0; i < T; i++) {
        const row = pAt(b, h, i);
        let delta = 0;
        for (let j = 0; j < T; j++) delta += probs[row + j] * dP[row + j];
        for (let j = 0; j <= i; j++) {
          const pij = probs[row + j];
          const ds = pij * (dP[row + j] - delta);
          const [qi, kj] = [qAt(b, i, h), kvAt(b, j, h)];
          for (let d = 0; d < D; d++) {
            dq[qi + d] += scale * ds * k[kj + d];
            dk[kj + d] += scale * ds * q[qi + d];
            if (dOut) dv[kj + d] += pij * dOut[qi + d];
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}
