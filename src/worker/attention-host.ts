/**
 * Attention maps for the explorer: post-softmax probabilities of chosen layers, heads and query
 * rows for one prompt (typed text, or a prompt of the training session) on the weights as they
 * are now or as they were loaded, with each token decoded so the UI can label rows and columns.
 */
import type { PreparedPrompt } from '../abft/prepared';
import { InputError } from '../data/dataset';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { packBatch } from '../model/batch';
import { forward } from '../model/forward';
import type { LinearWeights, ModelWeights } from '../model/spec';
import { tokenizerOf } from '../session/prompt-sets';
import type { AttentionInput, AttentionResult, AttentionWeights } from '../train/protocol';
import { requireModel, type HostedModel } from './model-host';
import type { WorkerState } from './state';

export interface AttentionRequest {
  readonly input: AttentionInput;
  readonly layers?: readonly number[];
  readonly heads?: readonly number[];
  readonly rows: 'last' | 'all';
  readonly weights?: AttentionWeights;
}

/**
 * GPU copies of every layer's W_Q and W_K (and biases) as loaded. Only these two change in
 * training, so the base model is the loaded weights with them swapped in; a GPU copy answers
 * repeated requests without uploading anything.
 */
export interface BaseAttention {
  readonly hosted: HostedModel;
  readonly layers: readonly { readonly q: LinearWeights; readonly k: LinearWeights }[];
}

function copyOf(e: Engine, t: Tensor): Tensor {
  const copy = e.empty(t.shape, t.dtype, { persistent: true });
  e.copy(t, copy);
  return copy;
}

function copyLinear(e: Engine, w: LinearWeights): LinearWeights {
  return { weight: copyOf(e, w.weight), bias: w.bias && copyOf(e, w.bias) };
}

/**
 * Keeps the base W_Q/W_K of `hosted` before anything changes them (the first training step, a
 * checkpoint restore). Run it inside `gpuWork`, so the copy is ordered before that change.
 */
export function keepBaseAttention(state: WorkerState, e: Engine, hosted: HostedModel): void {
  if (state.baseAttention?.hosted === hosted) return;
  releaseBaseAttention(state);
  state.baseAttention = { hosted, layers: hosted.model.weights.layers.map((l) => ({ q: copyLinear(e, l.q), k: copyLinear(e, l.k) })) };
}

/** Gives the copies back, as their model is being released. */
export function releaseBaseAttention(state: WorkerState): void {
  for (const { q, k } of state.baseAttention?.layers ?? []) for (const t of [q.weight, q.bias, k.weight, k.bias]) t?.release();
  state.baseAttention = null;
}

/** Without a copy nothing has changed W_Q/W_K yet, so the loaded weights are the base ones. */
function weightsFor(base: BaseAttention | null, hosted: HostedModel, which: AttentionWeights): ModelWeights {
  const { weights } = hosted.model;
  if (which === 'trained' || !base || base.hosted !== hosted) return weights;
  const copies = base.layers;
  return { ...weights, layers: weights.layers.map((layer, l) => ({ ...layer, q: copies[l].q, k: copies[l].k })) };
}

function trainingPrompt(state: WorkerState, index: number): PreparedPrompt {
  const prompts = state.session?.prompts;
  if (!prompts) throw new InputError('There are no training prompts yet; start training, or explore a typed text.');
  const prompt = prompts[index];
  if (!Number.isInteger(index) || !prompt) throw new InputError(`There is no training prompt ${index}; pick one from 0 to ${prompts.length - 1}.`);
  return prompt;
}

function promptOf(state: WorkerState, input: AttentionInput, encode: (text: string) => number[]): Pick<PreparedPrompt, 'ids'> & Pick<AttentionResult, 'labels'> {
  if (input.kind === 'text') {
    if (input.text.trim() === '') throw new InputError('The text to explore is empty; type a prompt.');
    return { ids: encode(input.text), labels: null };
  }
  const { ids, plus, minus } = trainingPrompt(state, input.index);
  return { ids, labels: { plus, minus } };
}

function checkIndices(what: string, values: readonly number[], count: number): void {
  const bad = values.find((v) => !Number.isInteger(v) || v < 0 || v >= count);
  if (bad !== undefined) throw new InputError(`${what} ${bad} does not exist; this model has ${what}s 0 to ${count - 1}.`);
}

export async function attentionMaps(state: WorkerState, e: Engine, request: AttentionRequest): Promise<AttentionResult> {
  const hosted = requireModel(state);
  const { spec } = hosted.model;
  const which = request.weights ?? 'trained';
  const tokenizer = tokenizerOf(hosted.model);
  const { ids, labels } = promptOf(state, request.input, (text) => tokenizer.encode(text));
  if (ids.length > spec.maxPositions) {
    throw new InputError(`The prompt is ${ids.length} tokens long, more than the model's limit of ${spec.maxPositions} positions; shorten it.`);
  }
  const layers = [...(request.layers ?? Array.from({ length: spec.numLayers }, (_, l) => l))];
  const heads = [...(request.heads ?? Array.from({ length: spec.numHeads }, (_, h) => h))];
  checkIndices('layer', layers, spec.numLayers);
  checkIndices('head', heads, spec.numHeads);
  const rows = request.rows === 'last' ? [ids.length - 1] : ids.map((_, t) => t);
  const probabilities = await state.gpuWork.run(async () => {
    const batch = packBatch([ids], 0);
    // Layers after the deepest one asked for cannot change its attention, so they are not run.
    const { attention } = forward(e, spec, weightsFor(state.baseAttention, hosted, which), batch, {
      attention: { rows: Int32Array.from(rows), layers, heads },
      stopAfterAttentionOf: Math.max(...layers),
    });
    try {
      return await Promise.all(attention!.map(async (t) => Float32Array.from(await e.read(t))));
    } finally {
      for (const t of attention!) t.release();
    }
  });
  return { tokens: ids.map((id) => tokenizer.decode([id])), rows, layers, heads, probabilities, weights: which, labels };
}
