/** Float64 references for shaders/matmul.wgsl: C = alpha * op(A) op(B) + bias, batched. */
export interface MatmulRefOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  readonly bias?: ArrayLike<number>;
  readonly alpha?: number;
}

interface Layout {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly outShape: number[];
  readonly indexA: (batch: number, m: number, k: number) => number;
  readonly indexB: (batch: number, k: number, n: number) => number;
}

// An operand without leading dimensions is shared by every batch: its batch stride is 0.
function layout(aShape: readonly number[], bShape: readonly number[], transA: boolean, transB: boolean): Layout {
  const [ar, ac] = aShape.slice(-2);
  const [br, bc] = bShape.slice(-2);
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const n = transB ? br : bc;
  if ((transB ? bc : br) !== k) throw new Error(`matmulRef: a [${aShape}] and b [${bShape}] disagree on K`);
  const batchShape = aShape.length > 2 ? aShape.slice(0, -2) : bShape.slice(0, -2);
  const batch = batchShape.reduce((p, d) => p * d, 1);
  const strideA = aShape.length > 2 ? m * k : 0;
  const strideB = bShape.length > 2 ? k * n : 0;
  return {
    batch,
    m,
    n,
    k,
    outShape: [...batchShape, m, n],
    indexA: (bi, i, kk) => bi * strideA + (transA ? kk * m + i : i * k + kk),
    indexB: (bi, kk, j) => bi * strideB + (transB ? j * k + kk : kk * n + j),
  };
}

export function matmulRef(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  opts: MatmulRefOptions = {},
): { data: Float64Array; shape: number[] } {
  const L = layout(aShape, bShape, opts.transA ?? false, opts.transB ?? false);
  const alpha = opts.alpha ?? 1;
  const out = new Float64Array(L.batch * L.m * L.n);
  for (let bi = 0; bi < L.batch; bi++) {
    for (let i = 0; i < L.m; i++) {
      for (let j = 0; j < L.n; j++) {
        let s = 0;
        for (let kk = 0; kk < L.k; kk++) s += a[L.indexA(bi, i, kk)] * b[L.indexB(bi, kk, j)];
        out[(bi * L.m + i) * L.n + j] = alpha * s + (opts.bias ? opts.bias[j] : 0);
      }
    }
  }
  return { data: out, shape: L.outShape };
}

/** Gradients of matmulRef given dC; a shared operand's gradient sums over the batches. */
export function matmulBackwardRef(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  dC: ArrayLike<number>,
  opts: Omit<MatmulRefOptions, 'bias'> = {},
): { dA: Float64Array; dB: Float64Array; dBias: Float64Array } {
  const L = layout(aShape, bShape, opts.transA ?? false, opts.transB ?? false);
  const alpha = opts.alpha ?? 1;
  const dA = new Float64Array(a.length);
  const dB = new Float64Array(b.length);
  const dBias = new Float64Array(L.n);
  for (let bi = 0; bi < L.batch; bi++) {
    for (let i = 0; i < L.m; i++) {
      for (let j = 0; j < L.n; j++) {
        const g = dC[(bi * L.m + i) * L.n + j];
        dBias[j] += g;
        for (let kk = 0; kk < L.k; kk++) {
          const ia = L.indexA(bi, i, kk);
          const ib = L.indexB(bi, kk, j);
          dA[ia] += alpha * g * b[ib];
          dB[ib] += alpha * g * a[ia];
        }
      }
    }
  }
  return { dA, dB, dBias };
}
