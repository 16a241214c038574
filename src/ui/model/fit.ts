/**
 * Whether a model fits this GPU, worked out from its config.json alone, before any weight is
 * downloaded. WebGPU does not tell how much memory a GPU has; what it does tell, and what refuses
 * a model for certain, is the size of one buffer: every weight tensor is one buffer (the
 * embedding and LM head excepted, which are split by vocabulary). So the verdict is the
 * adapter's buffer limit; the total is shown beside it for the user to compare with their GPU.
 */
import { adapterFit, countParameters, trainableQkParameters, type AdapterFit, type BufferLimits, type FrozenDType } from '../../model/memory';
import type { ModelSpec } from '../../model/spec';

export interface FitEstimate {
  readonly parameters: number;
  /** Every weight on the GPU, as the app loads it. */
  readonly weightBytes: number;
  /** What ABFT adds while training: W_Q and W_K (and their biases) get a gradient and Adam's two moments, in f32. */
  readonly trainingStateBytes: number;
  /** The largest tensor kept in one buffer. */
  readonly largest: AdapterFit['largest'];
  /** The adapter's per-buffer limit and its verdict; null while its limits are not known. */
  readonly adapter: { readonly maxBytes: number; readonly limitName: AdapterFit['limitName']; readonly tooBig: string | null } | null;
}

/** Gradient, Adam m and Adam v per trained value, 4 bytes each. */
const TRAINING_BYTES_PER_PARAMETER = 3 * 4;

/** Sizes from `spec`; the verdict only when the adapter's `limits` are known. */
export function estimateFit(spec: ModelSpec, limits: BufferLimits | null, frozenDType: FrozenDType = 'f32'): FitEstimate {
  const fit = adapterFit(spec, limits ?? { maxBufferSize: Infinity, maxStorageBufferBindingSize: Infinity }, frozenDType);
  return {
    parameters: countParameters(spec),
    weightBytes: fit.totalBytes,
    trainingStateBytes: TRAINING_BYTES_PER_PARAMETER * trainableQkParameters(spec),
    largest: fit.largest,
    adapter: limits ? { maxBytes: fit.maxBytes, limitName: fit.limitName, tooBig: fit.problem } : null,
  };
}

export type FitVerdict = 'fits' | 'too-big' | 'unknown';

export function fitVerdict(fit: FitEstimate): FitVerdict {
  return !fit.adapter ? 'unknown' : fit.adapter.tooBig ? 'too-big' : 'fits';
}

/** "135M", "1.54B" */
export function formatParameters(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : `${Math.round(n / 1e6)}M`;
}
