/**
 * Evaluation of the model as it is now: accuracy, macro-F1 and the confusion matrix on fixed test
 * prompts (`evaluate`), or the full suite `abft train` runs (`evaluate-suite`, session/evaluate.ts).
 */
import { evaluate } from '../abft/evaluate';
import type { Engine } from '../engine/engine';
import { requireModel } from './model-host';
import { evaluationDraws, preparePromptSet } from '../session/prompt-sets';
import type { SuiteMeasures, SuiteReport } from '../abft/suite';
import { evaluateSuite, suiteDataOf } from '../session/evaluate';
import type { EvaluationSet, EvaluationSummary } from '../train/protocol';
import type { WorkerState } from './state';

export async function evaluateSet(state: WorkerState, e: Engine, set: EvaluationSet, microBatch: number): Promise<EvaluationSummary> {
  const hosted = requireModel(state);
  const { template, draws } = evaluationDraws(set);
  const { prompts, labels } = await preparePromptSet(hosted.model, template, draws, 'test prompt', set.labelScoring);
  const { predictions: _, ...summary } = await state.gpuWork.run(() => evaluate(e, hosted.model, prompts, labels, { microBatch }));
  return summary;
}

export async function evaluateSetSuite(state: WorkerState, e: Engine, set: EvaluationSet, measures: SuiteMeasures, microBatch: number): Promise<SuiteReport> {
  const hosted = requireModel(state);
  const { template, data } = suiteDataOf(set);
  return evaluateSuite(e, hosted.model, { template, data, k: set.k, seed: set.seed, labelScoring: set.labelScoring, measures, microBatch }, (job) => state.gpuWork.run(job));
}
