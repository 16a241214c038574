/** Float64 reference of shaders/finite.wgsl. */
import { fromHalfBits, toHalfBits } from '../dtype';

/**
 * The index of the first NaN or infinity of `values` as a tensor of `dtype` holds them, or null: in
 * f16, values beyond ±65504 round to infinity.
 */
export function firstNonFiniteRef(values: ArrayLike<number>, dtype: 'f32' | 'f16'): number | null {
  for (let i = 0; i < values.length; i++) {
    const stored = dtype === 'f16' ? fromHalfBits(toHalfBits(values[i])) : Math.fround(values[i]);
    if (!Number.isFinite(stored)) return i;
  }
  return null;
}
