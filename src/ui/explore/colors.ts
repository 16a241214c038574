/**
 * Colour scales of the explorer, as lookup tables so a 1,000 × 1,000 map is coloured with one
 * table read per cell. Attention is peaky (a few keys take most of the mass), so magnitudes go
 * through a square root: small weights stay visible without hiding the large ones.
 */
export type Theme = 'light' | 'dark';
export type Rgb = readonly [number, number, number];

const LUT_SIZE = 256;

/** 0 → the panel's background, 1 → deep blue (light theme) or near white (dark theme). */
const SEQUENTIAL_STOPS: Record<Theme, readonly Rgb[]> = {
  light: [[255, 255, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]],
  dark: [[23, 27, 33], [30, 64, 120], [52, 116, 200], [122, 162, 255], [228, 236, 255]],
};

/** Decrease (blue) ← 0 (background) → increase (orange-red). */
const DIVERGING_STOPS: Record<Theme, readonly Rgb[]> = {
  light: [[33, 102, 172], [146, 197, 222], [255, 255, 255], [244, 165, 130], [178, 24, 43]],
  dark: [[122, 162, 255], [45, 75, 125], [23, 27, 33], [140, 60, 45], [255, 130, 100]],
};

/** Cells above the diagonal, which a causal model cannot attend to. */
export const MASKED: Record<Theme, Rgb> = { light: [241, 243, 246], dark: [15, 18, 22] };

function interpolate(stops: readonly Rgb[], t: number): Rgb {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i], stops[i + 1]];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as unknown as Rgb;
}

function table(stops: readonly Rgb[]): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) lut.set(interpolate(stops, i / (LUT_SIZE - 1)), i * 3);
  return lut;
}

const tables = new Map<string, Uint8ClampedArray>();
function cachedTable(kind: 'sequential' | 'diverging', theme: Theme): Uint8ClampedArray {
  const key = `${kind}:${theme}`;
  let lut = tables.get(key);
  if (!lut) tables.set(key, (lut = table((kind === 'sequential' ? SEQUENTIAL_STOPS : DIVERGING_STOPS)[theme])));
  return lut;
}

/** Where a probability (0..1) falls on the sequential table. */
export function probabilityIndex(p: number): number {
  return Math.round(Math.sqrt(Math.min(1, Math.max(0, p))) * (LUT_SIZE - 1));
}

/** Where a difference falls on the diverging table, with ±`scale` at its ends and 0 in the middle. */
export function differenceIndex(d: number, scale: number): number {
  const x = Math.min(1, Math.max(-1, d / scale));
  const half = (LUT_SIZE - 1) / 2;
  return Math.round(half + Math.sign(x) * Math.sqrt(Math.abs(x)) * half);
}

/** How a map's values are coloured: probabilities, or signed differences up to ±scale. */
export type Scale = { readonly kind: 'probability' } | { readonly kind: 'difference'; readonly scale: number };

export function colorOf(value: number, scale: Scale, theme: Theme): Rgb {
  const lut = cachedTable(scale.kind === 'probability' ? 'sequential' : 'diverging', theme);
  const i = (scale.kind === 'probability' ? probabilityIndex(value) : differenceIndex(value, scale.scale)) * 3;
  return [lut[i], lut[i + 1], lut[i + 2]];
}

/** CSS gradient of a scale, for its legend. */
export function gradientCss(scale: Scale, theme: Theme): string {
  const values = scale.kind === 'probability' ? [0, 0.0625, 0.25, 0.5625, 1] : [-1, -0.25, 0, 0.25, 1].map((v) => v * scale.scale);
  return `linear-gradient(to right, ${values.map((v) => `rgb(${colorOf(v, scale, theme).join(' ')})`).join(', ')})`;
}

/**
 * RGBA pixels of a [T, T] map, one pixel per cell, row = query, column = key; cells above the
 * diagonal get the masked colour.
 */
export function paintMatrix(values: Float32Array, tokens: number, scale: Scale, theme: Theme): Uint8ClampedArray<ArrayBuffer> {
  const lut = cachedTable(scale.kind === 'probability' ? 'sequential' : 'diverging', theme);
  const masked = MASKED[theme];
  const pixels = new Uint8ClampedArray(tokens * tokens * 4);
  for (let r = 0; r < tokens; r++) {
    for (let c = 0; c < tokens; c++) {
      const cell = r * tokens + c;
      const o = cell * 4;
      if (c > r) {
        pixels[o] = masked[0];
        pixels[o + 1] = masked[1];
        pixels[o + 2] = masked[2];
      } else {
        const v = values[cell];
        const i = (scale.kind === 'probability' ? probabilityIndex(v) : differenceIndex(v, scale.scale)) * 3;
        pixels[o] = lut[i];
        pixels[o + 1] = lut[i + 1];
        pixels[o + 2] = lut[i + 2];
      }
      pixels[o + 3] = 255;
    }
  }
  return pixels;
}
