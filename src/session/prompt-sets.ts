/**
 * The prompts a run trains and the worker evaluates on, built from rows and a template with the loaded
 * model's tokenizer: the synthetic dataset or rows the UI sent, sampled as the paper does
 * (ABFT-SPEC.md §2), every input error found before any GPU work.
 */
import { preparePrompts, type PreparedPrompt } from '../abft/prepared';
import { labelTargets, type LabelScoring, type LabelTargets } from '../abft/label-scoring';
import { checkRowsForTemplate, templateOf, type PromptTemplate } from '../abft/prompts';
import { buildTestSet, sampleTrainingPrompts, type PromptDraw } from '../abft/sampling';
import { InputError, type Row } from '../data/dataset';
import { syntheticPrompt, syntheticSentiment } from '../data/synthetic';
import type { LoadedModel } from '../model/load';
import type { ModelTokenizer } from '../model/tokenizer';
import type { TrainOptions } from '../train/options';
import type { EvaluationSet, TrainingData } from '../train/protocol';

/** The paper's training set: 512 prompts, of which a run of n_b × steps sees as many as it needs. */
const MAX_TRAINING_PROMPTS = 512;
/** The paper's test set draws 2 demonstration sets per query. */
const SYNTHETIC_SETS_PER_QUERY = 2;
/** Demonstration pool of the synthetic test set, drawn apart from the queries. */
export const SYNTHETIC_DEMONSTRATION_POOL = 64;
/** Seeds apart from the training data's, so test queries and their demonstrations are fresh draws of the word lists. */
export const SYNTHETIC_QUERY_SEED = 1_000_003;
export const SYNTHETIC_POOL_SEED = 2_000_003;
/** Prompts tokenized per turn of the worker's event loop, so pause and stop messages are not held up. */
const CHUNK = 16;

export interface RowsAndTemplate {
  readonly rows: readonly Row[];
  readonly template: PromptTemplate;
}

export function trainingRows(data: TrainingData): RowsAndTemplate {
  if (data.kind === 'rows') return { rows: data.rows, template: data.template };
  return { rows: syntheticSentiment({ size: data.size, seed: data.seed }).rows, template: templateOf(syntheticPrompt(2)) };
}

export function trainingPromptCount(options: TrainOptions): number {
  return Math.min(MAX_TRAINING_PROMPTS, options.steps * options.pseudoBatch);
}

export function trainingDraws({ rows, template }: RowsAndTemplate, options: TrainOptions, count = trainingPromptCount(options)): PromptDraw[] {
  checkRowsForTemplate(rows, template, 'training pool');
  return sampleTrainingPrompts(rows, count, options.k, options.seed);
}

export function evaluationDraws(set: EvaluationSet): { template: PromptTemplate; draws: PromptDraw[] } {
  if (set.kind === 'rows') {
    checkRowsForTemplate(set.queries, set.template, 'test queries');
    return { template: set.template, draws: buildTestSet(set.queries, set.demonstrations, set.setsPerQuery, set.k, set.seed) };
  }
  const queries = syntheticSentiment({ size: set.queries, seed: set.seed + SYNTHETIC_QUERY_SEED }).rows;
  const pool = syntheticSentiment({ size: SYNTHETIC_DEMONSTRATION_POOL, seed: set.seed + SYNTHETIC_POOL_SEED }).rows;
  return { template: templateOf(syntheticPrompt(2)), draws: buildTestSet(queries, pool, SYNTHETIC_SETS_PER_QUERY, set.k, set.seed) };
}

export function tokenizerOf(model: LoadedModel): ModelTokenizer {
  if (!model.tokenizer) {
    throw new InputError(`${model.label} was loaded without a tokenizer.json, so prompts cannot be turned into tokens; load a copy of the model that includes it.`);
  }
  return model.tokenizer;
}

export interface PreparedSet {
  readonly prompts: PreparedPrompt[];
  /** Each class's tokens as the query's answer, under the label scoring asked for. */
  readonly labels: LabelTargets;
}

/**
 * preparePrompts a chunk at a time with a yield between chunks: hundreds of prompts
 * through a real tokenizer take long enough to hold up the worker's messages.
 */
export async function preparePromptSet(
  model: LoadedModel,
  template: PromptTemplate,
  draws: readonly PromptDraw[],
  what: string,
  labelScoring: LabelScoring,
): Promise<PreparedSet> {
  const tokenizer = tokenizerOf(model);
  const labels = labelTargets(tokenizer, template, labelScoring);
  const prompts: PreparedPrompt[] = [];
  for (let offset = 0; offset < draws.length; offset += CHUNK) {
    if (offset > 0) await new Promise((resolve) => setTimeout(resolve, 0));
    prompts.push(...preparePrompts(tokenizer, template, draws.slice(offset, offset + CHUNK), { maxPositions: model.spec.maxPositions, what, offset }));
  }
  return { prompts, labels };
}
