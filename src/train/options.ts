/**
 * Every setting of a training run, with the paper's values as defaults (ABFT-SPEC.md §4).
 */
import { LABEL_SCORINGS, DEFAULT_LABEL_SCORING, isLabelScoring, type LabelScoring } from '../abft/label-scoring';
import { defaultAbftObjective, type AbftObjectiveOptions } from '../abft/objective';
import type { TrainableSet } from '../model/grads';

/** What a fine-tuning run may train; 'all' (every weight) is pretraining's (src/pretrain/). */
export type FineTunedSet = Exclude<TrainableSet, 'all'>;

export interface TrainOptions {
  /** 'abft': the attention loss on W_Q/W_K. 'end-to-end': cross-entropy of the gold label token at the last position (the baseline). */
  readonly objective: 'abft' | 'end-to-end';
  readonly abft: AbftObjectiveOptions;
  /** What is trained: W_Q and W_K (default, as the paper), or every attention projection (end-to-end variant). */
  readonly trainable: FineTunedSet;
  /** End-to-end only: the cross-entropy runs over the full vocabulary ('full', as the paper) or over the label words only. */
  readonly endToEndVocabulary: 'full' | 'label-words';
  /**
   * How a class is scored as the query's answer (abft/label-scoring.ts): the log-probability of its
   * label word's tokens ('sequence'), or the logit of its first or last token. The end-to-end
   * baseline's target follows it; so does every evaluation of the run.
   */
  readonly labelScoring: LabelScoring;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Prompts whose gradients are averaged into one optimizer step (n_b). */
  readonly pseudoBatch: number;
  /** Prompts run on the GPU together; a pseudo-batch is split into micro-batches of this size. */
  readonly microBatch: number;
  /** Bytes of activations a micro-batch may keep for the backward; microBatch is lowered to fit (default: micro-batch.ts's DEFAULT_ACTIVATION_BUDGET). */
  readonly activationBudgetBytes?: number;
  readonly steps: number;
  /** Demonstrations per prompt (k). */
  readonly k: number;
  readonly seed: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  objective: 'abft',
  abft: defaultAbftObjective,
  trainable: 'qk',
  endToEndVocabulary: 'full',
  labelScoring: DEFAULT_LABEL_SCORING,
  lr: 2e-5,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  pseudoBatch: 32,
  microBatch: 8,
  steps: 32,
  k: 4,
  seed: 0,
};

/** Checks values a user can type, naming the setting and what is allowed. */
export function checkTrainOptions(o: TrainOptions): void {
  const positiveInt = (name: keyof TrainOptions, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`training option ${name} is ${v}; it must be a whole number of at least 1`);
  };
  positiveInt('pseudoBatch', o.pseudoBatch);
  positiveInt('microBatch', o.microBatch);
  positiveInt('steps', o.steps);
  positiveInt('k', o.k);
  if (!(o.lr > 0) || !Number.isFinite(o.lr)) throw new Error(`training option lr is ${o.lr}; it must be a positive number such as 2e-5`);
  for (const name of ['beta1', 'beta2'] as const) {
    if (!(o[name] >= 0 && o[name] < 1)) throw new Error(`training option ${name} is ${o[name]}; it must be in [0, 1)`);
  }
  if (!(o.eps > 0)) throw new Error(`training option eps is ${o.eps}; it must be positive`);
  if (!(o.weightDecay >= 0)) throw new Error(`training option weightDecay is ${o.weightDecay}; it must be 0 or more`);
  if (!isLabelScoring(o.labelScoring)) throw new Error(`training option labelScoring is ${JSON.stringify(o.labelScoring)}; it must be one of ${LABEL_SCORINGS.join(', ')}`);
  if (!Number.isInteger(o.seed)) throw new Error(`training option seed is ${o.seed}; it must be a whole number`);
}
