/**
 * The exported model in onnxruntime-web: a session on the best backend available (WebGPU where the
 * platform has it, else WebAssembly), and one forward pass with an empty KV cache. The runtime
 * module is passed in because Node and the browser import different builds of it.
 */
import type * as Ort from 'onnxruntime-web';
import type { ModelSpec } from '../model/spec';
import { INPUT_NAMES, pastName } from './causal-lm';

export type OnnxRuntime = Pick<typeof Ort, 'InferenceSession' | 'Tensor' | 'env'>;
export type OnnxProvider = 'webgpu' | 'wasm';

/** model.onnx's bytes and, when the weights are external, the data file (its name inside the folder's onnx/). */
export interface OnnxModelBytes {
  readonly model: Uint8Array;
  readonly externalData?: { readonly path: string; readonly data: Uint8Array };
}

export interface OpenSession {
  readonly session: Ort.InferenceSession;
  readonly provider: OnnxProvider;
  /** Why WebGPU was not used, when it was asked for and the session fell back to wasm. */
  readonly fallback: string | null;
}

/** Tries `providers` in order and returns the first session that opens. */
export async function openOnnxSession(ort: OnnxRuntime, bytes: OnnxModelBytes, providers: readonly OnnxProvider[]): Promise<OpenSession> {
  if (providers.length === 0) throw new Error('openOnnxSession: no execution provider given; pass webgpu and/or wasm');
  const options: Ort.InferenceSession.SessionOptions = {
    ...(bytes.externalData && { externalData: [{ path: bytes.externalData.path, data: bytes.externalData.data }] }),
    graphOptimizationLevel: 'all',
  };
  const create = (provider: OnnxProvider) => ort.InferenceSession.create(bytes.model, { ...options, executionProviders: [provider] });
  let fallback: string | null = null;
  for (const provider of providers.slice(0, -1)) {
    try {
      return { session: await create(provider), provider, fallback };
    } catch (error) {
      fallback = `${provider}: ${(error as Error).message}`;
    }
  }
  const last = providers[providers.length - 1];
  return { session: await create(last), provider: last, fallback };
}

/**
 * Logits of the last `keep` positions ([keep, vocab], row-major) of one unpadded sequence, as
 * transformers.js runs the first step of generation: positions 0.., an all-ones mask, an empty cache.
 */
export async function onnxLogits(ort: OnnxRuntime, session: Ort.InferenceSession, spec: ModelSpec, ids: readonly number[], keep = 1): Promise<Float32Array> {
  const S = ids.length;
  const int64 = (values: readonly number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
  const feeds: Record<string, Ort.Tensor> = {
    [INPUT_NAMES.ids]: int64(ids, [1, S]),
    [INPUT_NAMES.mask]: int64(new Array<number>(S).fill(1), [1, S]),
    [INPUT_NAMES.positions]: int64(Array.from({ length: S }, (_, i) => i), [1, S]),
    [INPUT_NAMES.logitsToKeep]: int64([keep], []),
  };
  for (let l = 0; l < spec.numLayers; l++) {
    for (const which of ['key', 'value'] as const) feeds[pastName(l, which)] = new ort.Tensor('float32', new Float32Array(0), [1, spec.numKvHeads, 0, spec.headDim]);
  }
  const outputs = await session.run(feeds);
  try {
    return Float32Array.from(outputs.logits.data as Float32Array);
  } finally {
    for (const t of Object.values(outputs)) t.dispose();
  }
}
