/** Float64 references of the row gather in shaders/embedding.wgsl; table is [V, C] row-major. */

export function embeddingRef(table: ArrayLike<number>, ids: ArrayLike<number>, C: number): Float64Array {
  const V = table.length / C;
  const y = new Float64Array(ids.length * C);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t];
    if (id < 0 || id >= V) continue;
    for (let c = 0; c < C; c++) y[t * C + c] = table[id * C + c];
  }
  return y;
}

export function embeddingBackwardRef(ids: ArrayLike<number>, dy: ArrayLike<number>, V: number, C: number): Float64Array {
  const dTable = new Float64Array(V * C);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t];
    if (id < 0 || id >= V) continue;
    for (let c = 0; c < C; c++) dTable[id * C + c] += dy[t * C + c];
  }
  return dTable;
}
