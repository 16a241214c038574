/**
 * The evaluation suite on a model's weights as they are now (ABFT-SPEC.md §6): accuracy and
 * macro-F1 on test prompts, consistency across demonstration sets and templates, accuracy with an
 * unseen label. `abft train` runs it before and after training, `abft eval` on its own, and the
 * worker on an `evaluate-suite` request; each gives the same data, options and seed, and so gets
 * the same prompts. Every prompt is built and checked before any GPU work.
 */
import type { LabelScoring } from '../abft/label-scoring';
import type { PromptTemplate } from '../abft/prompts';
import { prepareSuite, runSuite, type SuiteData, type SuiteMeasure, type SuiteMeasures, type SuiteReport } from '../abft/suite';
import { templateOf } from '../abft/prompts';
import { syntheticPrompt, syntheticSentiment } from '../data/synthetic';
import type { Engine } from '../engine/engine';
import type { LoadedModel } from '../model/load';
import type { EvaluationSet } from '../train/protocol';
import { SYNTHETIC_DEMONSTRATION_POOL, SYNTHETIC_QUERY_SEED, SYNTHETIC_POOL_SEED, tokenizerOf } from './prompt-sets';
import type { GpuWork } from './run';

export interface SuiteRequest {
  readonly template: PromptTemplate;
  readonly data: SuiteData;
  readonly k: number;
  readonly seed: number;
  readonly labelScoring: LabelScoring;
  readonly measures: SuiteMeasures;
  readonly microBatch: number;
  readonly onProgress?: (measure: SuiteMeasure, done: number, total: number) => void;
}

export async function evaluateSuite(e: Engine, model: LoadedModel, request: SuiteRequest, gpu: GpuWork = (job) => job()): Promise<SuiteReport> {
  const { template, data, k, seed, labelScoring, measures, microBatch, onProgress } = request;
  const prompts = prepareSuite(tokenizerOf(model), template, data, { k, seed, measures, labelScoring, maxPositions: model.spec.maxPositions });
  return gpu(() => runSuite(e, model, prompts, { microBatch, onProgress }));
}

/** The suite's queries, demonstration pool and template for the app's test set: its rows, or the synthetic set's fresh draws. */
export function suiteDataOf(set: EvaluationSet): { readonly template: PromptTemplate; readonly data: SuiteData } {
  if (set.kind === 'rows') return { template: set.template, data: { queries: set.queries, demoPool: set.demonstrations } };
  return {
    template: templateOf(syntheticPrompt(2)),
    data: {
      queries: syntheticSentiment({ size: set.queries, seed: set.seed + SYNTHETIC_QUERY_SEED }).rows,
      demoPool: syntheticSentiment({ size: SYNTHETIC_DEMONSTRATION_POOL, seed: set.seed + SYNTHETIC_POOL_SEED }).rows,
    },
  };
}
