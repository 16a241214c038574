/**
 * Central finite differences of a scalar function of one input array, in float64:
 * (f(x + h e_i) - f(x - h e_i)) / 2h. With h = 1e-5 the truncation error is O(h^2) ~ 1e-10 and the
 * rounding error O(eps/h) ~ 1e-11, so a correct analytic gradient agrees to about 1e-7 relative.
 */
export function finiteDifferenceGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  const probe = Float64Array.from(x);
  return Float64Array.from(x, (_, i) => finiteDifferenceAt(() => f(probe), probe, i, h));
}

/**
 * The same for one entry of `data`, which `loss` reads (a model's float64 tensors): the entry is
 * moved by ±h in place and put back.
 */
export function finiteDifferenceAt(loss: () => number, data: Float64Array, index: number, h = 1e-5): number {
  const saved = data[index];
  data[index] = saved + h;
  const plus = loss();
  data[index] = saved - h;
  const minus = loss();
  data[index] = saved;
  return (plus - minus) / (2 * h);
}

/** <weights, y>: turns a tensor-valued function into the scalar loss whose gradient is the weights' VJP. */
export function weightedSum(y: ArrayLike<number>, weights: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * weights[i];
  return s;
}
