/** Float64 references for shaders/reduce.wgsl; x is row-major with rows of length n. */
function perRow(x: ArrayLike<number>, n: number, f: (row: number[]) => number): Float64Array {
  const rows = n === 0 ? 0 : x.length / n;
  return Float64Array.from({ length: rows }, (_, r) => f(Array.from({ length: n }, (_, i) => x[r * n + i])));
}

export function sumRowsRef(x: ArrayLike<number>, n: number): Float64Array {
  return perRow(x, n, (row) => row.reduce((s, v) => s + v, 0));
}

export function maxRowsRef(x: ArrayLike<number>, n: number): Float64Array {
  return perRow(x, n, (row) => Math.max(...row));
}

export function meanRowsRef(x: ArrayLike<number>, n: number): Float64Array {
  return perRow(x, n, (row) => row.reduce((s, v) => s + v, 0) / n);
}

export function sumColumnsRef(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] += x[r * cols + c];
  return out;
}
