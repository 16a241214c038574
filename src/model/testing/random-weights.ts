/**
 * A model of any spec with random weights made directly on the GPU, no files: for benchmarks at the
 * real sizes of GPT-2 124M or SmolLM2-135M, where writing and reading hundreds of megabytes of
 * safetensors would only measure the disk. Values are small (N(0, 0.02)-like spread, norms near 1),
 * as a freshly initialised HF model.
 */
import type { Engine } from '../../engine/engine';
import type { Tensor } from '../../engine/tensor';
import { rng } from '../../engine/random';
import { architectureModule } from '../arch';
import type { LayerWeights, LinearWeights, ModelSpec, ModelWeights, NormWeights } from '../spec';
import type { FrozenDType } from '../memory';
import { packTrainable } from '../trainable-pack';
import { maxChunkRows, uploadVocabularyTable, type VocabularyTable } from '../vocabulary-table';

/**
 * `frozenDType` 'f16' stores the frozen Linear weights (v, o, MLP; not their biases) in f16, as
 * load.ts does with frozenDType 'f16'; the values drawn are the same either way.
 */
export function randomModelWeights(e: Engine, spec: ModelSpec, seed = 0, frozenDType: FrozenDType = 'f32'): ModelWeights {
  const random = rng(seed);
  const values = (n: number, center: number, spread: number) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = center + (random() * 2 - 1) * spread;
    return out;
  };
  const tensor = (shape: number[], center = 0, spread = 0.035, dtype: FrozenDType = 'f32'): Tensor =>
    e.upload(values(shape.reduce((p, d) => p * d, 1), center, spread), shape, dtype, { persistent: true });
  const H = spec.hiddenSize;
  const norm = (): NormWeights => ({ weight: tensor([H], 1, 0.05), bias: spec.norm.kind === 'layernorm' ? tensor([H], 0, 0.02) : null });
  const linear = (inDim: number, outDim: number, bias: boolean): LinearWeights => ({
    weight: tensor([inDim, outDim], 0, 0.035, frozenDType),
    bias: bias ? tensor([outDim], 0, 0.02) : null,
  });
  // QK-norm (Qwen3) as the architecture describes it: a [head_dim] RMSNorm weight.
  const hasQkNorm = architectureModule(spec.architecture).tensors(spec).layers[0].qNorm !== null;
  const headNorm = (): NormWeights | null => (hasQkNorm ? { weight: tensor([spec.headDim], 1, 0.05), bias: null } : null);
  // Gemma 3's norms on the attention's and the MLP's output.
  const hasPostNorms = architectureModule(spec.architecture).tensors(spec).layers[0].postAttentionNorm !== null;
  const postNorm = (): NormWeights | null => (hasPostNorms ? norm() : null);
  const q = spec.numHeads * spec.headDim;
  const kv = spec.numKvHeads * spec.headDim;
  // W_Q and W_K packed as load.ts packs them (trainable-pack.ts), values drawn in the same order as unpacked.
  const packed = packTrainable(e, spec);
  const packedLinear = (slot: LinearWeights, inDim: number, outDim: number): LinearWeights => {
    e.write(slot.weight, values(inDim * outDim, 0, 0.035));
    if (slot.bias) e.write(slot.bias, values(outDim, 0, 0.02));
    return slot;
  };
  const layers: LayerWeights[] = Array.from({ length: spec.numLayers }, (_, l) => ({
    attentionNorm: norm(),
    q: packedLinear(packed[l].q, H, q),
    k: packedLinear(packed[l].k, H, kv),
    qNorm: headNorm(),
    kNorm: headNorm(),
    v: linear(H, kv, spec.qkvBias),
    o: linear(q, H, spec.outputBias),
    mlpNorm: norm(),
    postAttentionNorm: postNorm(),
    postMlpNorm: postNorm(),
    gate: spec.mlp !== 'gelu' ? linear(H, spec.intermediateSize, spec.mlpBias) : null,
    up: linear(H, spec.intermediateSize, spec.mlpBias),
    down: linear(spec.intermediateSize, H, spec.mlpBias),
  }));
  // Split like loaded weights, so that GPT-2's 147 MiB embedding fits adapters with 128 MiB buffers.
  const chunkRows = maxChunkRows(H, e.limits);
  const vocabularyTable = (): VocabularyTable => uploadVocabularyTable(e, values(spec.vocabSize * H, 0, 0.035), spec.vocabSize, H, chunkRows);
  const tokenEmbedding = vocabularyTable();
  return {
    tokenEmbedding,
    positionEmbedding: spec.positions.kind === 'learned' ? tensor([spec.maxPositions, H], 0, 0.01) : null,
    layers,
    finalNorm: norm(),
    lmHead: spec.tieWordEmbeddings ? tokenEmbedding : vocabularyTable(),
  };
}
