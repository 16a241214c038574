/** Float64 references for LayerNorm and RMSNorm in shaders/norm.wgsl; rows = x.length / weight.length. */

function rowCount(x: ArrayLike<number>, C: number): number {
  if (C === 0 || x.length % C !== 0) throw new Error(`norm reference: x has ${x.length} values, not a multiple of C = ${C}`);
  return x.length / C;
}

export function layerNormRef(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  eps: number,
): { y: Float64Array; mean: Float64Array; rstd: Float64Array } {
  const C = weight.length;
  const rows = rowCount(x, C);
  const y = new Float64Array(x.length);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += x[r * C + c];
    const m = s / C;
    let q = 0;
    for (let c = 0; c < C; c++) q += (x[r * C + c] - m) ** 2;
    const rs = 1 / Math.sqrt(q / C + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (x[r * C + c] - m) * rs * weight[c] + bias[c];
    mean[r] = m;
    rstd[r] = rs;
  }
  return { y, mean, rstd };
}

export function layerNormBackwardRef(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  dy: ArrayLike<number>,
): { dx: Float64Array; dWeight: Float64Array; dBias: Float64Array } {
  const C = weight.length;
  const rows = rowCount(x, C);
  const dx = new Float64Array(x.length);
  const dWeight = new Float64Array(C);
  const dBias = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    let mg = 0;
    let mgx = 0;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      const xhat = (x[i] - mean[r]) * rstd[r];
      const g = dy[i] * weight[c];
      mg += g;
      mgx += g * xhat;
      dWeight[c] += dy[i] * xhat;
      dBias[c] += dy[i];
    }
    mg /= C;
    mgx /= C;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      const xhat = (x[i] - mean[r]) * rstd[r];
      dx[i] = rstd[r] * (dy[i] * weight[c] - mg - xhat * mgx);
    }
  }
  return { dx, dWeight, dBias };
}

/** weightOffset: Gemma's (1 + w) scaling with 1, plain w with 0. */
export function rmsNormRef(x: ArrayLike<number>, weight: ArrayLike<number>, eps: number, weightOffset = 0): { y: Float64Array; rstd: Float64Array } {
  const C = weight.length;
  const rows = rowCount(x, C);
  const y = new Float64Array(x.length);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let q = 0;
    for (let c = 0; c < C; c++) q += x[r * C + c] ** 2;
    const rs = 1 / Math.sqrt(q / C + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = x[r * C + c] * rs * (weightOffset + weight[c]);
    rstd[r] = rs;
  }
  return { y, rstd };
}

export function rmsNormBackwardRef(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  rstd: ArrayLike<number>,
  dy: ArrayLike<number>,
  weightOffset = 0,
): { dx: Float64Array; dWeight: Float64Array } {
  const C = weight.length;
  const rows = rowCount(x, C);
  const dx = new Float64Array(x.length);
  const dWeight = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    let mgx = 0;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      const xhat = x[i] * rstd[r];
      mgx += dy[i] * (weightOffset + weight[c]) * xhat;
      dWeight[c] += dy[i] * xhat;
    }
    mgx /= C;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      dx[i] = rstd[r] * (dy[i] * (weightOffset + weight[c]) - x[i] * rstd[r] * mgx);
    }
  }
  return { dx, dWeight };
}
