/** Float64 references for shaders/softmax.wgsl; `cols` is the length of the last dimension. */
export function softmaxRef(x: ArrayLike<number>, cols: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += cols) {
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[base + j]);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[base + j] - m);
    for (let j = 0; j < cols; j++) y[base + j] = Math.exp(x[base + j] - m) / s;
  }
  return y;
}

export function softmaxBackwardRef(y: ArrayLike<number>, dy: ArrayLike<number>, cols: number): Float64Array {
  const dx = new Float64Array(y.length);
  for (let base = 0; base < y.length; base += cols) {
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += y[base + j] * dy[base + j];
    for (let j = 0; j < cols; j++) dx[base + j] = y[base + j] * (dy[base + j] - dot);
  }
  return dx;
}
