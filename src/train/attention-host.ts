/**
 * Attention maps for the explorer: post-softmax probabilities of chosen layers, heads and query
 * rows for one prompt (typed text, or a prompt of the training session) on the weights as they
 * are now, with each token decoded so the UI can label rows and columns.
 */
import { InputError } from '../data/dataset';
import type { Engine } from '../engine/engine';
import { packBatch } from '../model/batch';
import { forward } from '../model/forward';
import { hostedModel } from './model-host';
import { tokenizerOf } from './prompt-sets';
import type { AttentionInput, AttentionResult } from './protocol';
import { gpuWork } from './serial';
import { currentSession } from './training-host';

export interface AttentionRequest {
  readonly input: AttentionInput;
  readonly layers?: readonly number[];
  readonly heads?: readonly number[];
  readonly rows: 'last' | 'all';
}

function promptIds(input: AttentionInput, encode: (text: string) => number[]): readonly number[] {
  if (input.kind === 'text') {
    if (input.text.trim() === '') throw new InputError('The text to explore is empty; type a prompt.');
    return encode(input.text);
  }
  const prompts = currentSession()?.prompts;
  if (!prompts) throw new InputError('There are no training prompts yet; start training, or explore a typed text.');
  const prompt = prompts[input.index];
  if (!Number.isInteger(input.index) || !prompt) throw new InputError(`There is no training prompt ${input.index}; pick one from 0 to ${prompts.length - 1}.`);
  return prompt.ids;
}

function checkIndices(what: string, values: readonly number[], count: number): void {
  const bad = values.find((v) => !Number.isInteger(v) || v < 0 || v >= count);
  if (bad !== undefined) throw new InputError(`${what} ${bad} does not exist; this model has ${what}s 0 to ${count - 1}.`);
}

export async function attentionMaps(e: Engine, request: AttentionRequest): Promise<AttentionResult> {
  const hosted = hostedModel();
  if (!hosted) throw new InputError('No model is loaded; load one in the Model panel first.');
  const { spec, weights } = hosted.model;
  const tokenizer = tokenizerOf(hosted.model);
  const ids = promptIds(request.input, (text) => tokenizer.encode(text));
  if (ids.length > spec.maxPositions) {
    throw new InputError(`The prompt is ${ids.length} tokens long, more than the model's limit of ${spec.maxPositions} positions; shorten it.`);
  }
  const layers = [...(request.layers ?? Array.from({ length: spec.numLayers }, (_, l) => l))];
  const heads = [...(request.heads ?? Array.from({ length: spec.numHeads }, (_, h) => h))];
  checkIndices('layer', layers, spec.numLayers);
  checkIndices('head', heads, spec.numHeads);
  const rows = request.rows === 'last' ? [ids.length - 1] : ids.map((_, t) => t);
  const probabilities = await gpuWork.run(async () => {
    const batch = packBatch([ids], 0);
    // Layers after the deepest one asked for cannot change its attention, so they are not run.
    const { attention } = forward(e, spec, weights, batch, {
      attention: { rows: Int32Array.from(rows), layers, heads },
      stopAfterAttentionOf: Math.max(...layers),
    });
    try {
      return await Promise.all(attention!.map(async (t) => Float32Array.from(await e.read(t))));
    } finally {
      for (const t of attention!) t.release();
    }
  });
  return { tokens: ids.map((id) => tokenizer.decode([id])), rows, layers, heads, probabilities };
}
