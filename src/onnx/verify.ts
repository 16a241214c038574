/**
 * Checks an exported model against our engine on real prompts: the logits over the whole
 * vocabulary of every row the label scoring reads (the last token's; with 'sequence' and label
 * words of several tokens also those of the prompt extended by a word's tokens, see
 * abft/label-scoring.ts), and the label word each side predicts from them (what in-context
 * classification reads). Both sides' scores come from their logits in float64, the same way.
 */
import type * as Ort from 'onnxruntime-web';
import { scoringRuns, type LabelTargets, type ScoringRun } from '../abft/label-scoring';
import type { Engine } from '../engine/engine';
import { packBatch } from '../model/batch';
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
  /** max |onnx - engine| over every logit read: each prompt's last token, and any rows the label scoring reads after it. */
  readonly maxAbsDiff: number;
  /** The largest per-prompt max |onnx - engine| / max |engine logit|. */
  readonly maxRelDiff: number;
  readonly tolerance: number;
  /** Prompts whose predicted label word (argmax of the label scores) is the same on both sides. */
  readonly agreements: number;
  /** Disagreements that are not near-ties (the two label scores further apart than the tolerance). */
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
  labels: LabelTargets,
  opts: VerifyOptions = {},
): Promise<VerifyReport> {
  if (prompts.length === 0) throw new Error('verify: no prompts given; verification needs at least one test prompt');
  const V = spec.vocabSize;
  let maxAbsDiff = 0;
  let maxRelDiff = 0;
  let agreements = 0;
  let realDisagreements = 0;
  for (const [i, prompt] of prompts.entries()) {
    const ours = new Float64Array(labels.tokens.length);
    const theirs = new Float64Array(labels.tokens.length);
    let abs = 0;
    let scale = 0;
    for (const run of runsOf(prompt.ids, labels)) {
      // The rows read are the sequence's last `keep`, what onnxruntime keeps with num_logits_to_keep.
      const first = Math.min(...run.reads.map((r) => r.row));
      const keep = run.ids.length - first;
      const batch = packBatch([run.ids], 0, { maxLength: spec.maxPositions });
      const { logits } = forward(e, spec, weights, batch, { logits: { rows: Int32Array.from({ length: keep }, (_, j) => first + j) } });
      const mine = (await e.read(logits!)) as Float32Array;
      logits!.release();
      const other = await onnxLogits(ort, session, spec, run.ids, keep);
      if (other.length !== mine.length) throw new Error(`verify: the ONNX model gave ${other.length} logits for prompt ${i + 1}, the engine ${mine.length}`);
      for (let v = 0; v < mine.length; v++) {
        const d = Math.abs(other[v] - mine[v]);
        // NaN never compares larger: count it as an infinite difference.
        abs = Number.isNaN(d) ? Infinity : Math.max(abs, d);
        scale = Math.max(scale, Math.abs(mine[v]));
      }
      for (const read of run.reads) {
        const at = (read.row - first) * V;
        for (const [side, values] of [[ours, mine], [theirs, other]] as const) {
          const row = values.subarray(at, at + V);
          const shift = labels.scoring === 'sequence' ? logSumExp(row) : 0;
          for (const { token, label } of read.targets) side[label] += row[token] - shift;
        }
      }
    }
    maxAbsDiff = Math.max(maxAbsDiff, abs);
    maxRelDiff = Math.max(maxRelDiff, abs / Math.max(scale, Number.MIN_VALUE));
    const mine = argmax(ours);
    const other = argmax(theirs);
    if (mine === other) agreements++;
    else if (Math.abs(ours[mine] - ours[other]) > LOGIT_TOLERANCE * scale) realDisagreements++;
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

/** The sequences whose logits give the label scores: scoringRuns for 'sequence'; the prompt's last row for 'first' and 'last'. */
function runsOf(ids: readonly number[], labels: LabelTargets): ScoringRun[] {
  if (labels.scoring === 'sequence') return scoringRuns(ids, labels);
  return [{ ids, extendedBy: null, reads: [{ row: ids.length - 1, targets: labels.tokens.map((t, label) => ({ token: t[0], label })) }] }];
}

function logSumExp(row: Float32Array): number {
  let m = -Infinity;
  for (const v of row) m = Math.max(m, v);
  let s = 0;
  for (const v of row) s += Math.exp(v - m);
  return m + Math.log(s);
}

/** The index of the largest score; the first on a tie, as the engine's predict. */
function argmax(scores: Float64Array): number {
  let best = 0;
  for (let c = 1; c < scores.length; c++) if (scores[c] > scores[best]) best = c;
  return best;
}
