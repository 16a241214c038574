/**
 * Evaluation of the model as it is now: the full suite `abft train` runs (session/evaluate.ts),
 * the measures picked, on the app's test set. The app has no other evaluation, so its numbers
 * and the CLI's come from one pipeline.
 */
import type { Engine } from '../engine/engine';
import { requireModel } from './model-host';
import type { SuiteMeasures, SuiteReport } from '../abft/suite';
import { evaluateSuite, suiteDataOf } from '../session/evaluate';
import type { EvaluationProgress, EvaluationSet } from '../train/protocol';
import type { WorkerState } from './state';

export async function evaluateSetSuite(
  state: WorkerState,
  e: Engine,
  set: EvaluationSet,
  measures: SuiteMeasures,
  microBatch: number,
  onProgress?: (progress: EvaluationProgress) => void,
): Promise<SuiteReport> {
  const hosted = requireModel(state);
  const { template, data } = suiteDataOf(set);
  return evaluateSuite(
    e,
    hosted.model,
    { template, data, k: set.k, seed: set.seed, labelScoring: set.labelScoring, measures, microBatch, onProgress: onProgress && ((measure, done, total) => onProgress({ measure, done, total })) },
    (job) => state.gpuWork.run(job),
  );
}
