/**
 * ICL predictions on the GPU (ABFT-SPEC.md §2): each class's score under the label scoring rule
 * (label-scoring.ts), argmax over the classes. 'first' and 'last' read the logits at each prompt's
 * last token for the scoring ids only (a [B, classes] gather instead of [B, vocab]). 'sequence'
 * reads log-probabilities over the whole vocabulary, computed on the GPU (tokenLogProbs), at the
 * prompt's last row and, for label words of several tokens, at the rows of the prompt extended by
 * the word's tokens (scoringRuns); with single-token words that is the prompt alone, as many
 * forward passes as 'first'. Sequences run in right-padded micro-batches, all recorded before
 * anything is read back, so the GPU never idles while the host waits for a micro-batch's scores.
 */
import { InputError, quote } from '../data/dataset';
import type { Engine } from '../engine/engine';
import { tokenLogProbs } from '../engine/ops/cross-entropy';
import { lastTokenRows, packBatch } from '../model/batch';
import type { Tensor } from '../engine/tensor';
import { forward } from '../model/forward';
import type { LoadedModel } from '../model/load';
import { LABEL_SCORING_CONTROL, scoringRuns, type LabelTargets, type ScoringRun } from './label-scoring';
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
  /**
   * [N, classes]: each class's score, the last-token logit of its scoring id ('first', 'last') or
   * the log-probability of its whole token sequence over the full vocabulary ('sequence').
   */
  readonly scores: Float64Array;
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
  labels: LabelTargets,
  opts: PredictOptions,
): Promise<Predictions> {
  const classes = labels.tokens.length;
  if (classes < 2) throw new Error(`predict: ${classes} label(s) given; classification needs one per class, at least two.`);
  if (!Number.isInteger(opts.microBatch) || opts.microBatch < 1) throw new Error(`predict: microBatch is ${opts.microBatch}; it must be a whole number of at least 1.`);
  const scores = labels.scoring === 'sequence' ? await sequenceScores(e, model, prompts, labels, opts) : await logitScores(e, model, prompts, labels, opts);
  const bad = scores.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    // An argmax over NaN would quietly predict class 0 and pass for a real answer.
    throw new Error(`predict: prompt ${Math.floor(bad / classes) + 1} has a non-finite label score (${scores[bad]}); the model's weights or activations have overflowed.`);
  }
  const predictions = prompts.map((_, i) => argmax(scores.subarray(i * classes, (i + 1) * classes)));
  return { predictions, scores };
}

/** The last-token logit of each class's one scoring id. */
async function logitScores(e: Engine, model: LoadedModel, prompts: readonly PreparedPrompt[], labels: LabelTargets, opts: PredictOptions): Promise<Float64Array> {
  const classes = labels.tokens.length;
  const vocab = Int32Array.from(labels.tokens, (ids) => ids[0]);
  const scores = new Float64Array(prompts.length * classes);
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
      scores.set(await reads[i], parts[i].start * classes);
      done += parts[i].count;
      opts.onProgress?.(done, prompts.length);
    }
  } finally {
    for (const p of parts) p.logits.release();
  }
  return scores;
}

/** The 'sequence' score of each class: the sum of its tokens' log-probabilities, read from the runs of scoringRuns. */
async function sequenceScores(e: Engine, model: LoadedModel, prompts: readonly PreparedPrompt[], labels: LabelTargets, opts: PredictOptions): Promise<Float64Array> {
  const { spec, weights } = model;
  const classes = labels.tokens.length;
  const runs = prompts.flatMap((p, prompt) => scoringRuns(p.ids, labels).map((run) => ({ prompt, run })));
  const tooLong = runs.find(({ run }) => run.ids.length > spec.maxPositions);
  if (tooLong) throw new InputError(tooLongMessage(tooLong.prompt, tooLong.run, prompts[tooLong.prompt].ids.length, labels, spec.maxPositions));
  // Every sequence of a micro-batch reads as many rows, with as many targets each: the longest's; the rest are padding (target -1).
  const rowsPerRun = Math.max(...runs.map(({ run }) => run.reads.length));
  const targetsPerRow = Math.max(...runs.flatMap(({ run }) => run.reads.map((read) => read.targets.length)));
  // The [B, rows, vocab] logits of a micro-batch stay on the GPU, in one buffer.
  const fitting = Math.floor(e.limits.maxStorageBufferBindingSize / (rowsPerRun * spec.vocabSize * 4));
  const size = Math.max(1, Math.min(opts.microBatch, fitting));
  const scores = new Float64Array(prompts.length * classes);
  const parts: { start: number; count: number; logProbs: Tensor }[] = [];
  try {
    for (let start = 0; start < runs.length; start += size) {
      const micro = runs.slice(start, start + size);
      const rows = new Int32Array(micro.length * rowsPerRun);
      const targets = new Int32Array(micro.length * rowsPerRun * targetsPerRow).fill(-1);
      micro.forEach(({ run }, b) => {
        for (let j = 0; j < rowsPerRun; j++) {
          const read = run.reads[j];
          rows[b * rowsPerRun + j] = (read ?? run.reads[0]).row;
          read?.targets.forEach(({ token }, k) => (targets[(b * rowsPerRun + j) * targetsPerRow + k] = token));
        }
      });
      const batch = packBatch(micro.map(({ run }) => run.ids), 0, { maxLength: spec.maxPositions });
      // Uploaded before the forward's launches, like its own inputs, so the command buffer is not split.
      const targetIds = e.upload(targets, [rows.length, targetsPerRow], 'i32');
      const { logits } = forward(e, spec, weights, batch, { logits: { rows } });
      parts.push({ start, count: micro.length, logProbs: tokenLogProbs(e, logits!.reshape([rows.length, spec.vocabSize]), targetIds) });
      // Launches run in recording order, so these buffers' reuse cannot overtake the launch that reads them.
      logits!.release();
      targetIds.release();
    }
    const reads = parts.map(({ logProbs }) => e.read(logProbs));
    for (const r of reads) r.catch(() => undefined); // a failure is thrown once, by the loop below
    for (let i = 0; i < parts.length; i++) {
      const values = await reads[i];
      const { start, count } = parts[i];
      runs.slice(start, start + count).forEach(({ prompt, run }, b) =>
        run.reads.forEach((read, j) =>
          read.targets.forEach(({ label }, k) => (scores[prompt * classes + label] += values[(b * rowsPerRun + j) * targetsPerRow + k])),
        ),
      );
      // Runs are in prompt order: every prompt before the next run's is scored.
      opts.onProgress?.(runs[start + count]?.prompt ?? prompts.length, prompts.length);
    }
  } finally {
    for (const p of parts) p.logProbs.release();
  }
  return scores;
}

function tooLongMessage(prompt: number, run: ScoringRun, promptLength: number, labels: LabelTargets, maxPositions: number): string {
  const word = labels.words[run.extendedBy!];
  return (
    `Prompt ${prompt + 1} is ${promptLength} tokens, and scoring the label word ${quote(word)} (${labels.tokens[run.extendedBy!].length} tokens) after it takes ${run.ids.length} positions, ` +
    `more than the model's limit of ${maxPositions}; use fewer demonstrations (k), leave out long rows, or score labels by their first or last token, which needs no positions after the prompt (${LABEL_SCORING_CONTROL}).`
  );
}

/** Index of the largest value; the first one on a tie, so a prediction never depends on the order of evaluation. */
function argmax(values: Float64Array): number {
  let best = 0;
  for (let c = 1; c < values.length; c++) if (values[c] > values[best]) best = c;
  return best;
}

export async function evaluate(
  e: Engine,
  model: LoadedModel,
  prompts: readonly PreparedPrompt[],
  labels: LabelTargets,
  opts: PredictOptions,
): Promise<Evaluation> {
  const { predictions } = await predict(e, model, prompts, labels, opts);
  const gold = prompts.map((p) => p.gold);
  const classes = labels.tokens.length;
  return {
    predictions,
    accuracy: accuracy(predictions, gold),
    macroF1: macroF1(predictions, gold, classes),
    confusion: confusionMatrix(predictions, gold, classes),
    count: prompts.length,
  };
}
