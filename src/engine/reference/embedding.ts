/** Float64 references of the row gather in shaders/embedding.wgsl; table is [V, C] row-major. */

/** scale: Gemma's sqrt(hidden_size), else 1. */
export function embeddingRef(table: ArrayLike<number>, ids: ArrayLike<number>, C: number, scale = 1): Float64Array {
  const V = table.length / C;
  const y = new Float64Array(ids.length * C);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t];
    if (id < 0 || id >= V) continue;
    for (let c = 0; c < C; c++) y[t * C + c] = table[id * C + c] * scale;
  }
  return y;
}

export function embeddingBackwardRef(ids: ArrayLike<number>, dy: ArrayLike<number>, V: number, C: number, scale = 1): Float64Array {
  const dTable = new Float64Array(V * C);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t];
    if (id < 0 || id >= V) continue;
    for (let c = 0; c < C; c++) dTable[id * C + c] += dy[t * C + c] * scale;
  }
  return dTable;
}
