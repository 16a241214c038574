/**
 * Checks an exported model against our engine on real prompts: the last token's logits over the
 * whole vocabulary, and the label word each predicts (what in-context classification reads).
 */
import type * as Ort from 'onnxruntime-web';
import type { Engine } from '../engine/engine';
import { lastTokenRows, packBatch } from '../model/batch';
import { forward } from '../model/forward';
import type { ModelSpec, ModelWeights } from '../model/spec';
import { onnxLogits, type OnnxRuntime } from './session';

/**
 * Both sides compute in float32 with different summation orders (our WGSL kernels, onnxruntime's
 * CPU or WebGPU kernels), so logits differ by a few f32 roundings of the largest terms: observed
 * below 1e-6 of the largest logit on the tiny models. 1e-4 of the largest |logit| leaves room for
 * deeper models while a wrong weight, mask or position shows as 1e-2 or more.
 */
export const LOGIT_TOLERANCE = 1e-4;

export interface VerifyPrompt {
  readonly ids: readonly number[];
}

export interface VerifyReport {
  readonly prompts: number;
  /** max |onnx - engine| over every prompt's last-token logits. */
  readonly maxAbsDiff: number;
  /** The largest per-prompt max |onnx - engine| / max |engine logit|. */
  readonly maxRelDiff: number;
  readonly tolerance: number;
  /** Prompts whose predicted label word (argmax over the label words' logits) is the same on both sides. */
  readonly agreements: number;
  /** Disagreements that are not near-ties (the two label logits further apart than the tolerance). */
  readonly realDisagreements: number;
  readonly passed: boolean;
}

export interface VerifyOptions {
  /** Called after each prompt. */
  readonly onProgress?: (done: number, total: number) => void;
}

export async function verifyAgainstEngine(
  e: Engine,
  spec: ModelSpec,
  weights: ModelWeights,
  ort: OnnxRuntime,
  session: Ort.InferenceSession,
  prompts: readonly VerifyPrompt[],
  labelIds: readonly number[],
  opts: VerifyOptions = {},
): Promise<VerifyReport> {
  if (prompts.length === 0) throw new Error('verify: no prompts given; verification needs at least one test prompt');
  let maxAbsDiff = 0;
  let maxRelDiff = 0;
  let agreements = 0;
  let realDisagreements = 0;
  for (const [i, prompt] of prompts.entries()) {
    const batch = packBatch([prompt.ids], 0, { maxLength: spec.maxPositions });
    const { logits } = forward(e, spec, weights, batch, { logits: { rows: lastTokenRows(batch) } });
    const ours = (await e.read(logits!)) as Float32Array;
    logits!.release();
    const theirs = await onnxLogits(ort, session, spec, prompt.ids);
    if (theirs.length !== ours.length) throw new Error(`verify: the ONNX model gave ${theirs.length} logits for prompt ${i + 1}, the engine ${ours.length}`);
    let abs = 0;
    let scale = 0;
    for (let v = 0; v < ours.length; v++) {
      const d = Math.abs(theirs[v] - ours[v]);
      // NaN never compares larger: count it as an infinite difference.
      abs = Number.isNaN(d) ? Infinity : Math.max(abs, d);
      scale = Math.max(scale, Math.abs(ours[v]));
    }
    maxAbsDiff = Math.max(maxAbsDiff, abs);
    const rel = abs / Math.max(scale, Number.MIN_VALUE);
    maxRelDiff = Math.max(maxRelDiff, rel);
    const mine = argmaxOf(ours, labelIds);
    const other = argmaxOf(theirs, labelIds);
    if (mine === other) agreements++;
    else if (Math.abs(ours[labelIds[mine]] - ours[labelIds[other]]) > LOGIT_TOLERANCE * scale) realDisagreements++;
    opts.onProgress?.(i + 1, prompts.length);
  }
  return {
    prompts: prompts.length,
    maxAbsDiff,
    maxRelDiff,
    tolerance: LOGIT_TOLERANCE,
    agreements,
    realDisagreements,
    passed: maxRelDiff <= LOGIT_TOLERANCE && realDisagreements === 0,
  };
}

/** The index into `ids` of the largest logit; the first on a tie, as the engine's predict. */
function argmaxOf(logits: Float32Array, ids: readonly number[]): number {
  let best = 0;
  for (let c = 1; c < ids.length; c++) if (logits[ids[c]] > logits[ids[best]]) best = c;
  return best;
}
