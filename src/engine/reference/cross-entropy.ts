/** Float64 reference for shaders/cross_entropy.wgsl; targets outside [0, cols) are ignored rows. */
export function crossEntropyRef(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  cols: number,
  reduction: 'mean' | 'sum' = 'mean',
): { loss: Float64Array; dLogits: Float64Array } {
  const rows = targets.length;
  const valid = (t: number) => t >= 0 && t < cols;
  let counted = 0;
  for (let n = 0; n < rows; n++) if (valid(targets[n])) counted++;
  const scale = reduction === 'mean' ? 1 / Math.max(counted, 1) : 1;
  const loss = new Float64Array(rows);
  const dLogits = new Float64Array(rows * cols);
  for (let n = 0; n < rows; n++) {
    const t = targets[n];
    if (!valid(t)) continue;
    const base = n * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, logits[base + j]);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(logits[base + j] - m);
    loss[n] = m + Math.log(s) - logits[base + t];
    for (let j = 0; j < cols; j++) dLogits[base + j] = (Math.exp(logits[base + j] - m) / s - (j === t ? 1 : 0)) * scale;
  }
  return { loss, dLogits };
}

/** Float64 reference for `tokenLogProbs`: log softmax(logits[n])[targets[n, k]], 0 for a target outside [0, cols). */
export function tokenLogProbsRef(logits: ArrayLike<number>, targets: ArrayLike<number>, cols: number, perRow: number): Float64Array {
  const rows = targets.length / perRow;
  const out = new Float64Array(rows * perRow);
  for (let n = 0; n < rows; n++) {
    const base = n * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, logits[base + j]);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(logits[base + j] - m);
    for (let k = 0; k < perRow; k++) {
      const t = targets[n * perRow + k];
      if (t >= 0 && t < cols) out[n * perRow + k] = logits[base + t] - m - Math.log(s);
    }
  }
  return out;
}
