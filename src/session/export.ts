/**
 * A run's model exported: the base checkpoint with the trained tensors read from the GPU, for
 * transformers as one model.safetensors, or for transformers.js as an ONNX folder, each with
 * metadata that says how it was trained. The app's downloads, `abft train --out` and `abft export`
 * write the same keys, so a later `abft train --model` on a safetensors export says where the
 * weights it starts from came from (cli/abft-train.ts reads the `abft.*` keys back).
 */
import type { Engine } from '../engine/engine';
import type { Checkpoint } from '../model/checkpoint';
import { exportFineTuned, fineTunedTensors } from '../model/export';
import type { ModelFolder } from '../model/files';
import type { LoadedModel } from '../model/load';
import { exportOnnx, type OnnxExport } from '../onnx/export';
import type { SizeLimits } from '../onnx/limits';
import type { TrainOptions } from '../train/options';

export interface TrainedBy {
  readonly options: TrainOptions;
  readonly steps: number;
  /** Why training stopped early (a non-finite loss), in words; absent when it ran to its end. */
  readonly stopped?: string | null;
}

/** `base`: the model the run started from (its label in the app, its identity in the CLI); `trained`: null for weights as loaded. */
export function trainedMetadata(base: string, trained: TrainedBy | null): Record<string, string> {
  const metadata: Record<string, string> = { base_model: base, fine_tuned_with: 'ABFT Studio', 'abft.base': base };
  if (!trained) return metadata;
  return {
    ...metadata,
    training_steps: String(trained.steps),
    training_options: JSON.stringify(trained.options),
    'abft.objective': trained.options.objective,
    'abft.lr': String(trained.options.lr),
    'abft.steps': String(trained.steps),
    ...(trained.stopped ? { 'abft.stopped': trained.stopped } : {}),
  };
}

export function exportRun(e: Engine, model: LoadedModel, source: Checkpoint, metadata: Record<string, string>): Promise<Uint8Array<ArrayBuffer>> {
  return exportFineTuned(e, model.spec, model.weights, source, metadata);
}

/** The same as an ONNX folder (onnx/export.ts), the metadata in model.onnx's metadata_props; `folder` gives the config and tokenizer files. */
export function exportRunOnnx(e: Engine, model: LoadedModel, source: Checkpoint, folder: ModelFolder, metadata: Record<string, string>, limits: SizeLimits = {}): Promise<OnnxExport> {
  return exportOnnx(model.spec, fineTunedTensors(e, model.spec, model.weights, source), folder, { ...limits, metadata });
}
