/** Accuracy, macro-F1 and the confusion matrix of the model as it is now, on fixed test prompts. */
import { evaluate } from '../abft/evaluate';
import { InputError } from '../data/dataset';
import type { Engine } from '../engine/engine';
import { hostedModel } from './model-host';
import { evaluationDraws, preparePromptSet } from '../session/prompt-sets';
import type { EvaluationSet, EvaluationSummary } from '../train/protocol';
import { gpuWork } from './serial';

export async function evaluateSet(e: Engine, set: EvaluationSet, microBatch: number): Promise<EvaluationSummary> {
  const hosted = hostedModel();
  if (!hosted) throw new InputError('No model is loaded; load one in the Model panel first.');
  const { template, draws } = evaluationDraws(set);
  const { prompts, labels } = await preparePromptSet(hosted.model, template, draws, 'test prompt', set.labelScoring);
  const { predictions: _, ...summary } = await gpuWork.run(() => evaluate(e, hosted.model, prompts, labels, { microBatch }));
  return summary;
}
