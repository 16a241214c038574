/**
 * Float64 reference of the rotary embedding in shaders/rope.wgsl on x[B, T, H, D] with B * T =
 * positions.length. The angle is rounded to f32 on purpose: f32(position * invFreq[i]) is the
 * model's definition (HF computes `freqs` in f32), so the tests measure the kernel's cos/sin and
 * range reduction, not that rounding. Everything after the angle is float64.
 */
export interface RopeRefOptions {
  readonly heads: number;
  readonly headDim: number;
  readonly layout: 'half' | 'interleaved';
}

function rotate(x: ArrayLike<number>, positions: ArrayLike<number>, invFreq: ArrayLike<number>, opts: RopeRefOptions, sinSign: number): Float64Array {
  const { heads: H, headDim: D, layout } = opts;
  const half = invFreq.length;
  if (x.length !== positions.length * H * D) throw new Error(`rope reference: x has ${x.length} values, expected ${positions.length} tokens x ${H} heads x ${D}`);
  if (2 * half > D) throw new Error(`rope reference: ${2 * half} rotary dims exceed headDim ${D}`);
  const y = Float64Array.from(x);
  for (let t = 0; t < positions.length; t++) {
    for (let h = 0; h < H; h++) {
      const base = (t * H + h) * D;
      for (let i = 0; i < half; i++) {
        const angle = Math.fround(positions[t] * invFreq[i]);
        const c = Math.cos(angle);
        const s = sinSign * Math.sin(angle);
        const lo = base + (layout === 'interleaved' ? 2 * i : i);
        const hi = lo + (layout === 'interleaved' ? 1 : half);
        y[lo] = x[lo] * c - x[hi] * s;
        y[hi] = x[hi] * c + x[lo] * s;
      }
    }
  }
  return y;
}

export function ropeRef(x: ArrayLike<number>, positions: ArrayLike<number>, invFreq: ArrayLike<number>, opts: RopeRefOptions): Float64Array {
  return rotate(x, positions, invFreq, opts, 1);
}

export function ropeBackwardRef(dy: ArrayLike<number>, positions: ArrayLike<number>, invFreq: ArrayLike<number>, opts: RopeRefOptions): Float64Array {
  return rotate(dy, positions, invFreq, opts, -1);
}
