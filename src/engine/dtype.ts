/** Element types a tensor can hold on the GPU. f16 needs the adapter's shader-f16 feature. */
export type DType = 'f32' | 'f16' | 'i32' | 'u32';

export const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = { f32: 4, f16: 2, i32: 4, u32: 4 };

/** The typed array a tensor of each dtype reads back into (f16 is widened to f32 on read). */
export type HostArray<D extends DType> = D extends 'i32' ? Int32Array : D extends 'u32' ? Uint32Array : Float32Array;

export type Shape = readonly number[];

export function numElements(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape.join(', ')}]: dimension ${d} is not a non-negative integer`);
    n *= d;
  }
  return n;
}

export function shapeToString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Rounds a float to the nearest IEEE half and returns its bits; used to upload f16 tensors. */
/** One scratch word for every call: a fresh array per element made f16 uploads of GPT-2 take over a minute. */
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

export function toHalfBits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
