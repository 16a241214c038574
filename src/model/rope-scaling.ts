/**
 * RoPE inverse frequencies with the rope_scaling variants of config.json that keep the attention
 * scale at 1 (HF transformers' modeling_rope_utils: default, linear, llama3). Computed in float64
 * and rounded to f32 once at the end, so the only difference from HF (which works in f32) is that
 * last rounding.
 */

export type RopeScaling =
  | { readonly type: 'default' }
  | { readonly type: 'linear'; readonly factor: number }
  | {
      readonly type: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalMaxPositions: number;
    };

/** 1 / theta^(2i / rotaryDim) for i < rotaryDim / 2, then scaled. */
export function scaledInvFreq(theta: number, rotaryDim: number, scaling: RopeScaling): Float32Array {
  const base = Array.from({ length: rotaryDim / 2 }, (_, i) => 1 / theta ** ((2 * i) / rotaryDim));
  switch (scaling.type) {
    case 'default':
      return Float32Array.from(base);
    case 'linear':
      return Float32Array.from(base, (f) => f / scaling.factor);
    case 'llama3':
      return Float32Array.from(base, (f) => llama3(f, scaling));
  }
}

/**
 * HF's _compute_llama3_parameters for one frequency: wavelengths longer than the original context
 * divided by low_freq_factor are slowed down by `factor`, those shorter than the context divided by
 * high_freq_factor are kept, and the band between is interpolated smoothly.
 */
function llama3(invFreq: number, s: Extract<RopeScaling, { type: 'llama3' }>): number {
  const lowFreqWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositions / s.highFreqFactor;
  const wavelen = (2 * Math.PI) / invFreq;
  if (wavelen > lowFreqWavelen) return invFreq / s.factor;
  if (wavelen < highFreqWavelen) return invFreq;
  const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return ((1 - smooth) * invFreq) / s.factor + smooth * invFreq;
}
