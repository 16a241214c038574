/**
 * ICL predictions on the GPU (ABFT-SPEC.md §2): the logits at each prompt's last token, for the
 * label words' token ids only (a [B, classes] gather instead of [B, vocab]), argmax over the
 * classes. Prompts run in right-padded micro-batches, all recorded before anything is read back,
 * so the GPU never idles while the host waits for a micro-batch's logits.
 */
import type { Engine } from '../engine/engine';
import { lastTokenRows, packBatch } from '../model/batch';
import type { Tensor } from '../engine/tensor';
import { forward } from '../model/forward';
import type { LoadedModel } from '../model/load';
import { accuracy, confusionMatrix, macroF1 } from './metrics';
import type { PreparedPrompt } from './prepared';

export interface PredictOptions {
  /** Prompts per forward pass; bounds the activation memory. */
  readonly microBatch: number;
  /** Prompts scored so far, and in all; called as each micro-batch's logits arrive. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface Predictions {
  /** Class id per prompt. */
  readonly predictions: number[];
  /** [N, classes]: the last-token logit of each class's label token. */
  readonly labelLogits: Float32Array;
}

export interface Evaluation {
  readonly predictions: number[];
  readonly accuracy: number;
  readonly macroF1: number;
  /** [gold][pred] counts. */
  readonly confusion: number[][];
  readonly count: number;
}

export async function predict(
  e: Engine,
  model: LoadedModel,
  prompts: readonly PreparedPrompt[],
  labelTokenIds: readonly number[],
  opts: PredictOptions,
): Promise<Predictions> {
  const classes = labelTokenIds.length;
  if (classes < 2) throw new Error(`predict: ${classes} label token id(s) given; classification needs one per class, at least two.`);
  if (!Number.isInteger(opts.microBatch) || opts.microBatch < 1) throw new Error(`predict: microBatch is ${opts.microBatch}; it must be a whole number of at least 1.`);
  const vocab = Int32Array.from(labelTokenIds);
  const labelLogits = new Float32Array(prompts.length * classes);
  const parts: { start: number; count: number; logits: Tensor }[] = [];
  try {
    for (let start = 0; start < prompts.length; start += opts.microBatch) {
      const micro = prompts.slice(start, start + opts.microBatch);
      // Right padding with any pad id: the key mask hides it and each prompt's row is its own last token.
      const batch = packBatch(micro.map((p) => p.ids), 0, { maxLength: model.spec.maxPositions });
      const { logits } = forward(e, model.spec, model.weights, batch, { logits: { rows: lastTokenRows(batch), vocab } });
      parts.push({ start, count: micro.length, logits: logits! });
    }
    // Every read is requested before any is awaited; they are awaited in order so that progress counts
    // whole micro-batches. A [B, 1, classes] result is a few bytes, so holding them all costs nothing.
    const reads = parts.map(({ logits }) => e.read(logits));
    for (const r of reads) r.catch(() => undefined); // a failure is thrown once, by the loop below
    let done = 0;
    for (let i = 0; i < parts.length; i++) {
      labelLogits.set(await reads[i], parts[i].start * classes);
      done += parts[i].count;
      opts.onProgress?.(done, prompts.length);
    }
  } finally {
    for (const p of parts) p.logits.release();
  }
  const bad = labelLogits.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    // An argmax over NaN would quietly predict class 0 and pass for a real answer.
    throw new Error(`predict: prompt ${Math.floor(bad / classes) + 1} has a non-finite label logit (${labelLogits[bad]}); the model's weights or activations have overflowed.`);
  }
  const predictions = prompts.map((_, i) => argmax(labelLogits.subarray(i * classes, (i + 1) * classes)));
  return { predictions, labelLogits };
}

/** Index of the largest value; the first one on a tie, so a prediction never depends on the order of evaluation. */
function argmax(values: Float32Array): number {
  let best = 0;
  for (let c = 1; c < values.length; c++) if (values[c] > values[best]) best = c;
  return best;
}

export async function evaluate(
  e: Engine,
  model: LoadedModel,
  prompts: readonly PreparedPrompt[],
  labelTokenIds: readonly number[],
  opts: PredictOptions,
): Promise<Evaluation> {
  const { predictions } = await predict(e, model, prompts, labelTokenIds, opts);
  const gold = prompts.map((p) => p.gold);
  const classes = labelTokenIds.length;
  return {
    predictions,
    accuracy: accuracy(predictions, gold),
    macroF1: macroF1(predictions, gold, classes),
    confusion: confusionMatrix(predictions, gold, classes),
    count: prompts.length,
  };
}
