/**
 * A pretraining run's model as a Hugging Face folder: the initial model's config and tokenizer
 * files with every weight read back from the GPU into model.safetensors, and metadata saying how
 * it was made. `abft pretrain` writes these files to its output folder; the app's worker hosts
 * them as the loaded model's folder, so the weights export and ONNX export copy the pretrained
 * tensors rather than the random ones.
 */
import type { Engine } from '../engine/engine';
import { openCheckpoint } from '../model/checkpoint';
import { exportFineTuned } from '../model/export';
import { memoryFolder } from '../model/files';
import type { LoadedModel } from '../model/load';
import type { PretrainConfig } from './config';

export interface PretrainedSoFar {
  readonly stepsDone: number;
  readonly tokensSeen: number;
}

export function pretrainedMetadata(config: PretrainConfig, { stepsDone, tokensSeen }: PretrainedSoFar): Record<string, string> {
  return { 'abft.pretrained': `classroom corpus seed ${config.corpus.seed}, ${stepsDone} steps, ${tokensSeen} tokens, init seed ${config.seed}` };
}

/** `initial`: initialModelFiles(config), whose model.safetensors gives the tensors' names and layout. */
export async function pretrainedFiles(
  e: Engine,
  model: LoadedModel,
  config: PretrainConfig,
  initial: Readonly<Record<string, Uint8Array | string>>,
  progress: PretrainedSoFar,
): Promise<Record<string, Uint8Array | string>> {
  const checkpoint = await openCheckpoint(memoryFolder(model.label, initial));
  const weights = await exportFineTuned(e, model.spec, model.weights, checkpoint, pretrainedMetadata(config, progress), { weights: 'all' });
  return { ...initial, 'model.safetensors': weights };
}
