/** Padding of the attention tests' key masks. */
export type Padding = 'none' | 'left' | 'right';

/** Sequence 0 left-padded ('left') or sequence 1 right-padded ('right') by a third; the others full. */
export function keyMaskFor(B: number, T: number, padding: Padding): Int32Array {
  const pad = Math.ceil(T / 3);
  const mask = new Int32Array(B * T).fill(1);
  if (padding === 'left') for (let t = 0; t < pad; t++) mask[t] = 0;
  if (padding === 'right') for (let t = T - pad; t < T; t++) mask[T + t] = 0;
  return mask;
}
