/**
 * How many prompts run on the GPU at once. A pseudo-batch is split into micro-batches whose
 * gradients accumulate; the user's micro-batch size is an upper bound that is lowered when the
 * activations the backward keeps (the tape) would not fit. WebGPU cannot tell how much memory the
 * GPU has, so the budget is a setting; it does tell the largest single buffer, which every
 * activation tensor must fit in.
 */
import { architectureModule } from '../model/arch';
import type { ModelSpec } from '../model/spec';

/** Default activation budget: fits beside the weights of the small models on an 4 GiB GPU. */
export const DEFAULT_ACTIVATION_BUDGET = 1 << 30;

/**
 * Bytes one prompt of `tokens` tokens keeps from the forward to the backward, per the tape of
 * forward.ts: per layer the residual copy, the norm output, q, k, v and the attention output, and
 * the MLP's pre-activations (two for SwiGLU and GeGLU); QK-norm's inputs (Qwen3, Gemma 3) and the
 * post-norms' inputs (Gemma 3) where the architecture has them; all f32.
 */
export function tapeBytesPerPrompt(spec: ModelSpec, tokens: number): number {
  const C = spec.hiddenSize;
  const q = spec.numHeads * spec.headDim;
  const kv = spec.numKvHeads * spec.headDim;
  const mlp = (spec.mlp !== 'gelu' ? 3 : 2) * spec.intermediateSize;
  const layer = architectureModule(spec.architecture).tensors(spec).layers[0];
  const qkNorm = layer.qNorm ? q + kv : 0;
  const postNorms = (layer.postAttentionNorm ? C : 0) + (layer.postMlpNorm ? C : 0);
  const perToken = 2 * C + 2 * q + 2 * kv + mlp + qkNorm + postNorms;
  return spec.numLayers * tokens * perToken * 4;
}

/** The largest single activation tensor of a micro-batch of `prompts` prompts: an MLP pre-activation or the logits. */
function largestTensorBytes(spec: ModelSpec, tokens: number, prompts: number, logitsColumns: number): number {
  return Math.max(prompts * tokens * spec.intermediateSize * 4, prompts * logitsColumns * 4);
}

export function fitMicroBatch(
  spec: ModelSpec,
  opts: { readonly tokens: number; readonly requested: number; readonly logitsColumns: number; readonly maxBufferBytes: number; readonly budgetBytes?: number },
): number {
  const budget = opts.budgetBytes ?? DEFAULT_ACTIVATION_BUDGET;
  let prompts = opts.requested;
  while (
    prompts > 1 &&
    (prompts * tapeBytesPerPrompt(spec, opts.tokens) > budget || largestTensorBytes(spec, opts.tokens, prompts, opts.logitsColumns) > opts.maxBufferBytes)
  ) {
    prompts = Math.floor(prompts / 2);
  }
  if (largestTensorBytes(spec, opts.tokens, prompts, opts.logitsColumns) > opts.maxBufferBytes) {
    throw new Error(
      `One prompt of ${opts.tokens} tokens needs an activation buffer larger than this GPU allows (${opts.maxBufferBytes} bytes per buffer); use shorter prompts (fewer demonstrations or shorter texts).`,
    );
  }
  return prompts;
}
