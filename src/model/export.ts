/**
 * The fine-tuned model as a Hugging Face checkpoint: one model.safetensors with the original tensor
 * names and layouts, so `transformers` (and this app) load it like the base model. Only W_Q and W_K
 * (and their biases) change under ABFT: they are read back from the GPU; every other tensor is
 * copied byte for byte from the base checkpoint.
 *
 * Trained tensors are written as F32 even when the base is F16/BF16: ABFT's updates (lr 2e-5) are
 * far below a 16-bit float's resolution and would be rounded away.
 *
 * After full-model training (pretraining, TrainableSet 'all') every tensor changed: with
 * `weights: 'all'` each one is read back from the GPU (the embedding and LM head chunk by chunk; a
 * tied lm_head that the base file carries gets the embedding's values), and the base checkpoint
 * gives only the names, shapes and the buffers that hold no weights.
 */
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import { readVocabularyTable, type VocabularyTable } from './vocabulary-table';
import type { Checkpoint } from './checkpoint';
import { encodeSafetensors, f32Bytes, type TensorToWrite } from './safetensors';
import { architectureModule } from './arch';
import type { LinearTensors, NormTensors } from './arch/types';
import type { LayerWeights, LinearWeights, ModelSpec, ModelWeights, NormWeights, TensorSource } from './spec';

/** How a trained tensor is laid out inside an HF tensor. */
interface TrainedPart {
  readonly tensor: Tensor | VocabularyTable;
  /** GPT-2's fused c_attn: the column range [from, to) of the [in, 3·hidden] weight or [3·hidden] bias. */
  readonly columns?: readonly [number, number];
  /** nn.Linear weights are [out, in] in the file, [in, out] on the GPU. */
  readonly transpose?: boolean;
}

export interface ExportOptions {
  /** 'trained' (default): W_Q, W_K and biases from the GPU, the rest copied. 'all': every weight from the GPU (after pretraining). */
  readonly weights?: 'trained' | 'all';
}

/** Where the trained projections (arch/ `trained`), or with 'all' every weight, go in the checkpoint's tensors, by HF name. */
function trainedParts(spec: ModelSpec, weights: ModelWeights, source: Checkpoint, which: 'trained' | 'all' = 'trained'): Map<string, TrainedPart[]> {
  const parts = new Map<string, TrainedPart[]>();
  const add = (name: string, part: TrainedPart) => parts.set(name, [...(parts.get(name) ?? []), part]);
  const has = (name: string) => source.info(name) !== undefined;
  const described = architectureModule(spec.architecture).tensors(spec, has);
  const all = which === 'all';
  if (all) {
    add(described.tokenEmbedding.name, { tensor: weights.tokenEmbedding });
    if (described.positionEmbedding && weights.positionEmbedding) add(described.positionEmbedding.name, { tensor: weights.positionEmbedding });
    add(described.finalNorm.weight.name, { tensor: weights.finalNorm.weight });
    if (described.finalNorm.bias && weights.finalNorm.bias) add(described.finalNorm.bias.name, { tensor: weights.finalNorm.bias });
    // A tied head may be absent from the file; present, it must hold the embedding's new values (weights.lmHead is the embedding then).
    if (has(described.lmHead.name)) add(described.lmHead.name, { tensor: weights.lmHead });
  }
  described.layers.forEach((layer, i) => {
    for (const [key, part] of Object.entries(layer) as [keyof LayerWeights, LinearTensors | NormTensors | null][]) {
      if (all && part?.kind === 'norm') {
        const norm = weights.layers[i][key] as NormWeights;
        add(part.weight.name, { tensor: norm.weight });
        if (part.bias && norm.bias) add(part.bias.name, { tensor: norm.bias });
        continue;
      }
      if (part?.kind !== 'linear' || !(part.trained || all)) continue;
      const linear = weights.layers[i][key] as LinearWeights;
      const columns = part.layout.kind === 'conv1d' ? ([part.layout.from, part.layout.to] as const) : undefined;
      add(part.weight.name, columns ? { tensor: linear.weight, columns } : { tensor: linear.weight, transpose: true });
      if (part.bias && linear.bias) add(part.bias.name, columns ? { tensor: linear.bias, columns } : { tensor: linear.bias });
    }
  });
  return parts;
}

async function mergeTrained(e: Engine, name: string, shape: readonly number[], base: Float32Array, parts: readonly TrainedPart[]): Promise<Float32Array> {
  const out = Float32Array.from(base);
  const cols = shape[shape.length - 1];
  for (const part of parts) {
    if (!('chunks' in part.tensor) && part.tensor.dtype !== 'f32') throw new Error(`export: ${name} is ${part.tensor.dtype} on the GPU; export every weight from a model loaded with frozenDType 'f32'`);
    const values = 'chunks' in part.tensor ? await readVocabularyTable(e, part.tensor) : ((await e.read(part.tensor)) as Float32Array);
    if (part.columns) {
      const [from, to] = part.columns;
      const rows = out.length / cols;
      for (let r = 0; r < rows; r++) out.set(values.subarray(r * (to - from), (r + 1) * (to - from)), r * cols + from);
    } else if (part.transpose) {
      // GPU [in, out] back to the file's [out, in].
      const [outDim, inDim] = shape;
      for (let o = 0; o < outDim; o++) for (let i = 0; i < inDim; i++) out[o * inDim + i] = values[i * outDim + o];
    } else {
      if (values.length !== out.length) throw new Error(`export: ${name} has ${out.length} values in the checkpoint but ${values.length} on the GPU`);
      out.set(values);
    }
  }
  return out;
}

/**
 * The fine-tuned model's tensors by HF name and layout, as f32: the trained W_Q / W_K (and biases)
 * merged from the GPU, every other tensor read from the base checkpoint. What the ONNX export reads.
 */
export function fineTunedTensors(e: Engine, spec: ModelSpec, weights: ModelWeights, source: Checkpoint, opts: ExportOptions = {}): TensorSource {
  const trained = trainedParts(spec, weights, source, opts.weights);
  return {
    label: `${source.label} (fine-tuned)`,
    names: () => source.names(),
    info: (name) => source.info(name),
    read: async (name) => {
      const parts = trained.get(name);
      const base = await source.read(name);
      return parts ? mergeTrained(e, name, source.info(name)!.shape, base, parts) : base;
    },
  };
}

/** Serializes the base checkpoint with the trained W_Q / W_K from the GPU; metadata names what was done. */
export async function exportFineTuned(
  e: Engine,
  spec: ModelSpec,
  weights: ModelWeights,
  source: Checkpoint,
  metadata: Readonly<Record<string, string>> = {},
  opts: ExportOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const trained = trainedParts(spec, weights, source, opts.weights);
  const tensors: TensorToWrite[] = [];
  for (const name of source.names()) {
    const info = source.info(name)!;
    const parts = trained.get(name);
    if (parts) {
      const values = await mergeTrained(e, name, info.shape, await source.read(name), parts);
      tensors.push({ name, dtype: 'F32', shape: info.shape, bytes: f32Bytes(values) });
    } else {
      tensors.push({ name, dtype: info.dtype, shape: info.shape, bytes: await source.readRaw(name) });
    }
  }
  return encodeSafetensors(tensors, { format: 'pt', ...metadata });
}
