/**
 * HF checkpoint tensors -> ModelWeights on the GPU, as the architecture's module (arch/) describes
 * them. Every tensor's name and shape is checked against config.json before anything is read, so a
 * mismatched checkpoint fails in milliseconds with the tensor, both shapes and the config fields
 * behind the expected one. Tensors are then read one at a time (host memory stays at about one
 * tensor) and put into the engine's layout: Linear weights [in, out], GPT-2's fused c_attn split
 * into q, k and v. Once all are uploaded, one GPU pass over every tensor looks for NaN and
 * infinities (a damaged file, or one saved from a diverged run), which would otherwise only show up
 * as NaN logits.
 */
import type { Engine } from '../engine/engine';
import { firstNonFinite } from '../engine/ops/finite';
import type { Tensor } from '../engine/tensor';
import { checkFitsAdapter, type FrozenDType } from './memory';
import { SAFETENSORS_DTYPE_BYTES, type SafetensorsDType } from './safetensors';
import type { LayerWeights, LinearWeights, ModelSpec, ModelWeights, NormWeights, TensorSource } from './spec';
import { architectureModule } from './arch';
import { layerParts, partTensors, type HfTensor, type LinearTensors, type ModelTensors, type NormTensors } from './arch/types';
import { packTrainable, type PackedQK } from './trainable-pack';
import { maxChunkRows, uploadVocabularyTable, type VocabularyTable } from './vocabulary-table';

export interface LoadWeightsOptions {
  /** 'f16' halves the memory of the frozen Linear weights (v, o, MLP); needs shader-f16, else f32 with a warning. */
  readonly frozenDType?: FrozenDType;
  /** Bytes (as stored in the checkpoint) of the tensors read so far, and of all that will be read. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Rows per buffer of the token embedding and LM head (vocabulary-table.ts); by default as many as
   * one buffer of the adapter holds. Tests force small chunks to check the split paths on tiny models.
   */
  readonly vocabularyChunkRows?: number;
}

export interface LoadedWeights {
  readonly weights: ModelWeights;
  /** Things the user may want to know that did not stop the load, e.g. tensors the model does not use. */
  readonly warnings: string[];
}

const F16_MAX = 65504;
const LISTED_UNUSED = 10;

export async function loadWeights(e: Engine, spec: ModelSpec, source: TensorSource, opts: LoadWeightsOptions = {}): Promise<LoadedWeights> {
  const warnings: string[] = [];
  let frozen = opts.frozenDType ?? 'f32';
  if (frozen === 'f16' && !e.features.shaderF16) {
    warnings.push(`This GPU (${e.adapterName}) lacks shader-f16, so the frozen weights are kept in f32, which takes more memory.`);
    frozen = 'f32';
  }
  checkFitsAdapter(spec, e.limits, frozen);
  const arch = architectureModule(spec.architecture);
  const tensors = arch.tensors(spec, (name) => source.info(name) !== undefined);
  const wanted = allWanted(tensors, spec, source);
  for (const w of wanted) checkShape(source, spec, w, w === tensors.lmHead);
  const used = new Set(wanted.map((w) => w.name));
  const unused = source.names().filter((n) => !used.has(n) && !arch.ignoredTensors.some((p) => p.test(n)));
  if (unused.length > 0) warnings.push(unusedWarning(source, spec, unused));

  const chunkRows = Math.min(opts.vocabularyChunkRows ?? Infinity, maxChunkRows(spec.hiddenSize, e.limits));
  const loader = new Loader(e, source, wanted, warnings, opts.onProgress, chunkRows, frozen);
  try {
    const weights = await build(loader, tensors, spec);
    // Its one readback also waits for the uploads.
    await loader.checkFinite();
    return { weights, warnings };
  } catch (err) {
    loader.releaseAll();
    throw err;
  }
}

async function build(l: Loader, r: ModelTensors, spec: ModelSpec): Promise<ModelWeights> {
  const embeddingValues = await l.read(r.tokenEmbedding.name);
  const tokenEmbedding = l.vocabularyTable(r.tokenEmbedding, embeddingValues);
  const lmHead = spec.tieWordEmbeddings
    ? await l.tiedHead(r.lmHead, embeddingValues, tokenEmbedding)
    : l.vocabularyTable(r.lmHead, await l.read(r.lmHead.name));
  const positionEmbedding = r.positionEmbedding ? await l.plain(r.positionEmbedding) : null;
  const layers: LayerWeights[] = [];
  const packed = l.packedQK(spec);
  for (const [i, layer] of r.layers.entries()) {
    // Keyed as LayerWeights (arch/types.ts); the trained projections fill the packed W_Q / W_K.
    const built: Record<string, NormWeights | LinearWeights | null> = {};
    for (const [key, part] of Object.entries(layer) as [keyof LayerWeights, LinearTensors | NormTensors | null][]) {
      if (!part) built[key] = null;
      else if (part.kind === 'norm') built[key] = await l.norm(part);
      else built[key] = await l.linear(part, part.trained ? packed[i][key as keyof PackedQK] : undefined);
    }
    layers.push(built as unknown as LayerWeights);
  }
  return { tokenEmbedding, positionEmbedding, layers, finalNorm: await l.norm(r.finalNorm), lmHead };
}

/** Reads each tensor once, converts it, uploads it, and reports progress. */
class Loader {
  private readonly cache = new Map<string, Float32Array>();
  private readonly counted = new Set<string>();
  private readonly created: Tensor[] = [];
  /** Every tensor that holds a checkpoint's values, with the HF name they came from. */
  private readonly filled: { readonly tensor: Tensor; readonly name: string }[] = [];
  private done = 0;
  private readonly total: number;

  constructor(
    private readonly e: Engine,
    private readonly source: TensorSource,
    wanted: readonly HfTensor[],
    private readonly warnings: string[],
    private readonly onProgress: ((done: number, total: number) => void) | undefined,
    private readonly chunkRows: number,
    /** Storage of the projections that are not trained. */
    private readonly frozen: FrozenDType,
  ) {
    this.total = wanted.reduce((sum, w) => sum + fileBytes(source, w.name), 0);
    onProgress?.(0, this.total);
  }

  /** `keep`: hold the values for another slice of the same tensor (GPT-2's fused c_attn). */
  async read(name: string, keep = false): Promise<Float32Array> {
    const values = this.cache.get(name) ?? (await this.source.read(name));
    if (keep) this.cache.set(name, values);
    else this.cache.delete(name);
    if (!this.counted.has(name)) {
      this.counted.add(name);
      this.done += fileBytes(this.source, name);
      this.onProgress?.(this.done, this.total);
    }
    return values;
  }

  upload(w: HfTensor, values: Float32Array, dtype: 'f32' | 'f16', shape = w.dims.map((d) => d.n)): Tensor {
    let stored = dtype;
    if (dtype === 'f16') {
      const peak = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      if (peak > F16_MAX) {
        this.warnings.push(`${w.name} has values up to ${peak.toPrecision(3)}, beyond f16's range (±${F16_MAX}); it is kept in f32.`);
        stored = 'f32';
      }
    }
    const t = this.e.upload(values, shape, stored, { persistent: true });
    this.created.push(t);
    this.filled.push({ tensor: t, name: w.name });
    return t;
  }

  /** The token embedding or an untied LM head [V, C], split into vocabulary chunks that each fit one buffer. */
  vocabularyTable(w: HfTensor, values: Float32Array): VocabularyTable {
    const [V, C] = w.dims.map((d) => d.n);
    const table = uploadVocabularyTable(this.e, values, V, C, this.chunkRows);
    this.created.push(...table.chunks);
    for (const tensor of table.chunks) this.filled.push({ tensor, name: w.name });
    return table;
  }

  async plain(w: HfTensor): Promise<Tensor> {
    return this.upload(w, await this.read(w.name), 'f32');
  }

  async norm(r: NormTensors): Promise<NormWeights> {
    return { weight: await this.plain(r.weight), bias: r.bias ? await this.plain(r.bias) : null };
  }

  /** W_Q and W_K of every layer in shared buffers (trainable-pack.ts), for `linear` to fill. */
  packedQK(spec: ModelSpec): PackedQK[] {
    const packed = packTrainable(this.e, spec);
    for (const { q, k } of packed) this.created.push(...[q.weight, q.bias, k.weight, k.bias].filter((t): t is Tensor => t !== null));
    return packed;
  }

  /** `into`: f32 tensors of the right shapes to write the values into, instead of new ones. */
  async linear(r: LinearTensors, into?: LinearWeights): Promise<LinearWeights> {
    const [rows, cols] = r.weight.dims.map((d) => d.n);
    const dtype = r.trained ? 'f32' : this.frozen;
    if (into && (into.weight.dtype !== 'f32' || dtype !== 'f32' || !r.bias !== !into.bias)) throw new Error(`${r.weight.name}: packed as ${into.weight.dtype} ${into.bias ? 'with' : 'without'} bias, the checkpoint's is ${dtype} ${r.bias ? 'with' : 'without'}`);
    const put = (w: HfTensor, values: Float32Array, dtype: 'f32' | 'f16', shape: number[], slot: Tensor | null | undefined): Tensor => {
      if (!slot) return this.upload(w, values, dtype, shape);
      this.e.write(slot, values);
      this.filled.push({ tensor: slot, name: w.name });
      return slot;
    };
    if (r.layout.kind === 'linear') {
      const weight = put(r.weight, transpose(await this.read(r.weight.name), rows, cols), dtype, [cols, rows], into?.weight);
      const bias = r.bias ? put(r.bias, await this.read(r.bias.name), 'f32', r.bias.dims.map((d) => d.n), into?.bias) : null;
      return { weight, bias };
    }
    const { from, to } = r.layout;
    // q, k and v are sliced from one read of c_attn, in that order; the last slice lets go of it.
    const keep = to < cols;
    const weight = put(r.weight, columns(await this.read(r.weight.name, keep), rows, cols, from, to), dtype, [rows, to - from], into?.weight);
    const bias = r.bias ? put(r.bias, (await this.read(r.bias.name, keep)).slice(from, to), 'f32', [to - from], into?.bias) : null;
    return { weight, bias };
  }

  /** A tied head is the embedding tensor itself; a stored copy is checked, as transformers ignores it. */
  async tiedHead(w: HfTensor, embedding: Float32Array, tokenEmbedding: VocabularyTable): Promise<VocabularyTable> {
    if (this.source.info(w.name)) {
      const head = await this.read(w.name);
      if (head.some((v, i) => v !== embedding[i])) {
        this.warnings.push(
          `${this.source.label}: ${w.name} differs from the token embedding, but config.json has tie_word_embeddings true; the token embedding is used for both, as transformers does.`,
        );
      }
    }
    return tokenEmbedding;
  }

  /** Throws, naming the first tensor's file, element and value, where any tensor holds a NaN or infinity. */
  async checkFinite(): Promise<void> {
    const found = await firstNonFinite(this.e, this.filled.map((f) => f.tensor));
    const bad = [...new Set(this.filled.filter((_, i) => found[i] !== null).map((f) => f.name))];
    if (bad.length > 0) throw await nonFiniteError(this.source, bad);
  }

  releaseAll(): void {
    for (const t of this.created) t.release();
  }
}

/** Every tensor the description names, once each; a tied head only when the checkpoint has one. */
function allWanted(r: ModelTensors, spec: ModelSpec, source: TensorSource): HfTensor[] {
  const list: HfTensor[] = [r.tokenEmbedding];
  if (!spec.tieWordEmbeddings || source.info(r.lmHead.name)) list.push(r.lmHead);
  if (r.positionEmbedding) list.push(r.positionEmbedding);
  for (const layer of r.layers) list.push(...partTensors(layerParts(layer)));
  list.push(...partTensors([r.finalNorm]));
  return list;
}

function checkShape(source: TensorSource, spec: ModelSpec, w: HfTensor, isHead: boolean): void {
  const info = source.info(w.name);
  if (!info) {
    const why = isHead ? ' (config.json has tie_word_embeddings false)' : '';
    throw new Error(
      `${source.label} has no tensor ${w.name}, which ${spec.hfArchitecture} needs${why}. The checkpoint is incomplete, or config.json describes another model; download both from the same model.`,
    );
  }
  if (!(info.dtype in SAFETENSORS_DTYPE_BYTES)) {
    throw new Error(
      `${info.file}: ${w.name} is ${info.dtype}; weights are read as ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')} only. Pick an unquantized revision of the model (torch_dtype float32, float16 or bfloat16).`,
    );
  }
  const expected = w.dims.map((d) => d.n);
  if (info.shape.length === expected.length && info.shape.every((n, i) => n === expected[i])) return;
  const reasons = w.dims.filter((d, i) => info.shape.length !== expected.length || info.shape[i] !== d.n).map((d) => d.why);
  throw new Error(
    `${info.file}: ${w.name} has shape [${info.shape.join(', ')}]; config.json implies [${expected.join(', ')}] (${[...new Set(reasons)].join(', ')}). ` +
      'The checkpoint and config.json do not belong together; download both from the same model.',
  );
}

function unusedWarning(source: TensorSource, spec: ModelSpec, unused: readonly string[]): string {
  const listed = unused.slice(0, LISTED_UNUSED).join(', ');
  const more = unused.length > LISTED_UNUSED ? ` and ${unused.length - LISTED_UNUSED} more` : '';
  return (
    `${source.label}: ${unused.length} tensor(s) that ${spec.hfArchitecture} does not use were ignored: ${listed}${more}. ` +
    'If they hold weights the model needs, config.json does not describe this checkpoint.'
  );
}

/**
 * The GPU said which tensors hold NaN or infinities; the first one is read again from its file, which
 * gives the element in the file's own layout (the GPU holds some transposed or split).
 */
async function nonFiniteError(source: TensorSource, names: readonly string[]): Promise<Error> {
  const [name, ...others] = names;
  const values = await source.read(name);
  const i = values.findIndex((v) => !Number.isFinite(v));
  const where = i >= 0 ? `${values[i]} at element ${i} (of ${values.length})` : 'values that are not finite once stored on the GPU';
  const listed = others.slice(0, 3).join(', ') + (others.length > 3 ? ', …' : '');
  const more = others.length > 0 ? `; so do ${others.length} other tensor(s) (${listed})` : '';
  return new Error(`${source.info(name)!.file}: tensor ${name} holds ${where}${more}; the file is damaged or was saved from a diverged run; re-download or re-export it.`);
}

/** Of a tensor checkShape has accepted. */
function fileBytes(source: TensorSource, name: string): number {
  const info = source.info(name)!;
  return info.shape.reduce((p, d) => p * d, 1) * SAFETENSORS_DTYPE_BYTES[info.dtype as SafetensorsDType];
}

/** [rows, cols] -> [cols, rows]: an nn.Linear weight [out, in] into the engine's [in, out]. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  }
  return out;
}

/** Columns [from, to) of a row-major [rows, cols] matrix. */
function columns(values: Float32Array, rows: number, cols: number, from: number, to: number): Float32Array {
  if (from === 0 && to === cols) return values;
  const width = to - from;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(values.subarray(r * cols + from, r * cols + to), r * width);
  return out;
}
