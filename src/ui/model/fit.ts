/**
 * Whether a model fits this GPU, worked out from its config.json alone, before any weight is
 * downloaded. WebGPU does not tell how much memory a GPU has; what it does tell, and what refuses
 * a model for certain, is the size of one buffer: every weight tensor is one buffer (the
 * embedding and LM head excepted, which are split by vocabulary). So the verdict is the
 * adapter's buffer limit; the total is shown beside it for the user to compare with their GPU.
 */
import { checkFitsAdapter, countParameters, estimateWeightBytes, maxTensorBytes, weightTensors, type BufferLimits, type FrozenDType, type WeightTensorPlan } from '../../model/memory';
import type { ModelSpec } from '../../model/spec';

export interface FitEstimate {
  readonly parameters: number;
  /** Every weight on the GPU, as the app loads it. */
  readonly weightBytes: number;
  /** What ABFT adds while training: W_Q and W_K (and their biases) get a gradient and Adam's two moments, in f32. */
  readonly trainingStateBytes: number;
  /** The largest tensor kept in one buffer, against the adapter's per-buffer limit. */
  readonly largest: WeightTensorPlan;
  readonly maxBufferBytes: number;
  readonly limitName: 'maxStorageBufferBindingSize' | 'maxBufferSize';
  /** Null when it fits; otherwise why not, naming the tensor, its size and the limit. */
  readonly tooBig: string | null;
}

/** Gradient, Adam m and Adam v per trained value. */
const TRAINING_COPIES = 3;
const TRAINED = /^each layer's [qk] projection( bias)?$/;

export function estimateFit(spec: ModelSpec, limits: BufferLimits, frozenDType: FrozenDType = 'f32'): FitEstimate {
  const plans = weightTensors(spec, frozenDType);
  const trained = plans.filter((p) => TRAINED.test(p.what)).reduce((sum, p) => sum + p.count * p.bytes, 0);
  const largest = plans.filter((p) => !p.splitByVocabulary).reduce((a, b) => (b.bytes > a.bytes ? b : a));
  let tooBig: string | null = null;
  try {
    checkFitsAdapter(spec, limits, frozenDType);
  } catch (error) {
    tooBig = error instanceof Error ? error.message : String(error);
  }
  return {
    parameters: countParameters(spec),
    weightBytes: estimateWeightBytes(spec, frozenDType),
    trainingStateBytes: TRAINING_COPIES * trained,
    largest,
    maxBufferBytes: maxTensorBytes(limits),
    limitName: limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize',
    tooBig,
  };
}

/** "135M", "1.54B" */
export function formatParameters(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : `${Math.round(n / 1e6)}M`;
}
