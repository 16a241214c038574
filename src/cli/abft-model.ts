/** The model of an `abft` run: its folder loaded onto the GPU, its identity, and the evaluation suite on it. */
import type { LabelScoring } from '../abft/label-scoring';
import type { SuiteReport } from '../abft/suite';
import { evaluateSuite } from '../session/evaluate';
import type { Engine } from '../engine/engine';
import { openCheckpoint, type Checkpoint } from '../model/checkpoint';
import type { ModelFolder } from '../model/files';
import { nodeFolder } from '../model/files-node';
import { loadModel, releaseModel, type LoadedModel } from '../model/load';
import type { ModelTokenizer } from '../model/tokenizer';
import { numberOption, suiteMeasures, type ParsedArgs } from './abft-args';
import type { RunData } from './abft-data';
import { modelIdentity } from './model-identity';

export interface RunModel {
  readonly folder: ModelFolder;
  readonly checkpoint: Checkpoint;
  readonly model: LoadedModel;
  readonly tokenizer: ModelTokenizer;
  /** Architecture and a hash of the files; what a training checkpoint must match. */
  readonly identity: string;
  release(): void;
}

export async function loadRunModel(e: Engine, args: ParsedArgs): Promise<RunModel> {
  const folder = await nodeFolder(args.values.get('model')!);
  const model = await loadModel(e, folder, { frozenDType: args.values.has('f16') ? 'f16' : 'f32' });
  try {
    const checkpoint = await openCheckpoint(folder);
    const identity = await modelIdentity(folder, checkpoint, model.spec);
    return { folder, checkpoint, model, tokenizer: model.tokenizer!, identity, release: () => releaseModel(model) };
  } catch (error) {
    releaseModel(model);
    throw error;
  }
}

export function describeModel(m: RunModel): Record<string, unknown> {
  const { spec } = m.model;
  return { path: m.folder.label, identity: m.identity, architecture: spec.hfArchitecture, layers: spec.numLayers, heads: spec.numHeads, parameters: m.model.parameters };
}

/** The suite on the model's current weights; the same data and seed give the same prompts before and after training. */
export function runEvaluation(
  e: Engine,
  m: RunModel,
  data: RunData,
  args: ParsedArgs,
  run: { readonly k: number; readonly seed: number; readonly labelScoring: LabelScoring },
): Promise<SuiteReport> {
  return evaluateSuite(e, m.model, {
    template: data.template,
    data,
    k: run.k,
    seed: run.seed,
    measures: suiteMeasures(args),
    labelScoring: run.labelScoring,
    microBatch: numberOption(args, 'micro-batch', 8, 'int'),
  });
}
