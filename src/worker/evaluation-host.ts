/** Accuracy, macro-F1 and the confusion matrix of the model as it is now, on fixed test prompts. */
import { evaluate } from '../abft/evaluate';
import type { Engine } from '../engine/engine';
import { requireModel } from './model-host';
import { evaluationDraws, preparePromptSet } from '../session/prompt-sets';
import type { EvaluationSet, EvaluationSummary } from '../train/protocol';
import type { WorkerState } from './state';

export async function evaluateSet(state: WorkerState, e: Engine, set: EvaluationSet, microBatch: number): Promise<EvaluationSummary> {
  const hosted = requireModel(state);
  const { template, draws } = evaluationDraws(set);
  const { prompts, labels } = await preparePromptSet(hosted.model, template, draws, 'test prompt', set.labelScoring);
  const { predictions: _, ...summary } = await state.gpuWork.run(() => evaluate(e, hosted.model, prompts, labels, { microBatch }));
  return summary;
}
