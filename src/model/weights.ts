/**
 * HF checkpoint tensors -> ModelWeights on the GPU. Every tensor's name and shape is checked
 * against config.json before anything is read, so a mismatched checkpoint fails in milliseconds
 * with the tensor, both shapes and the config fields behind the expected one. Tensors are then read
 * one at a time (host memory stays at about one tensor) and put into the engine's layout: Linear
 * weights [in, out], GPT-2's fused c_attn split into q, k and v. Once all are uploaded, one GPU pass
 * over every tensor looks for NaN and infinities (a damaged file, or one saved from a diverged run),
 * which would otherwise only show up as NaN logits.
 */
import type { Engine } from '../engine/engine';
import { firstNonFinite } from '../engine/ops/finite';
import type { Tensor } from '../engine/tensor';
import { checkFitsAdapter, type FrozenDType } from './memory';
import { SAFETENSORS_DTYPE_BYTES, type SafetensorsDType } from './safetensors';
import type { LayerWeights, LinearWeights, ModelSpec, ModelWeights, NormWeights, TensorSource } from './spec';
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

/** A dimension the config implies, with the fields it comes from, for mismatch messages. */
interface Dim {
  readonly n: number;
  readonly why: string;
}

/** A tensor as it must be in the file. */
interface Wanted {
  readonly name: string;
  readonly dims: readonly Dim[];
}

interface LinearRecipe {
  readonly weight: Wanted;
  readonly bias: Wanted | null;
  /** nn.Linear stores [out, in] and is transposed; GPT-2's Conv1D stores [in, out], of which columns [from, to) are taken. */
  readonly layout: { readonly kind: 'linear' } | { readonly kind: 'conv1d'; readonly from: number; readonly to: number };
  readonly dtype: 'f32' | 'f16';
}

interface NormRecipe {
  readonly weight: Wanted;
  readonly bias: Wanted | null;
}

interface LayerRecipe {
  readonly attentionNorm: NormRecipe;
  readonly q: LinearRecipe;
  readonly k: LinearRecipe;
  readonly v: LinearRecipe;
  readonly o: LinearRecipe;
  readonly mlpNorm: NormRecipe;
  readonly gate: LinearRecipe | null;
  readonly up: LinearRecipe;
  readonly down: LinearRecipe;
}

interface Recipe {
  readonly tokenEmbedding: Wanted;
  readonly positionEmbedding: Wanted | null;
  readonly layers: readonly LayerRecipe[];
  readonly finalNorm: NormRecipe;
  /** Required when untied; when tied it may be absent, or present with the embedding's values. */
  readonly lmHead: Wanted;
}

/** Buffers and caches some checkpoints carry that hold no weights: GPT-2's causal masks, RoPE tables. */
const HARMLESS = [/(^|\.)attn\.(bias|masked_bias)$/, /rotary_emb\.inv_freq$/];
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
  const recipe = spec.architecture === 'gpt2' ? gpt2Recipe(spec, source, frozen) : llamaRecipe(spec, frozen);
  const wanted = allWanted(recipe, spec, source);
  for (const w of wanted) checkShape(source, spec, w);
  const used = new Set(wanted.map((w) => w.name));
  const unused = source.names().filter((n) => !used.has(n) && !HARMLESS.some((p) => p.test(n)));
  if (unused.length > 0) warnings.push(unusedWarning(source, spec, unused));

  const chunkRows = Math.min(opts.vocabularyChunkRows ?? Infinity, maxChunkRows(spec.hiddenSize, e.limits));
  const loader = new Loader(e, source, wanted, warnings, opts.onProgress, chunkRows);
  try {
    const weights = await build(loader, recipe, spec);
    // Its one readback also waits for the uploads.
    await loader.checkFinite();
    return { weights, warnings };
  } catch (err) {
    loader.releaseAll();
    throw err;
  }
}

async function build(l: Loader, r: Recipe, spec: ModelSpec): Promise<ModelWeights> {
  const embeddingValues = await l.read(r.tokenEmbedding.name);
  const tokenEmbedding = l.vocabularyTable(r.tokenEmbedding, embeddingValues);
  const lmHead = spec.tieWordEmbeddings
    ? await l.tiedHead(r.lmHead, embeddingValues, tokenEmbedding)
    : l.vocabularyTable(r.lmHead, await l.read(r.lmHead.name));
  const positionEmbedding = r.positionEmbedding ? await l.plain(r.positionEmbedding) : null;
  const layers: LayerWeights[] = [];
  const packed = l.packedQK(spec);
  for (const [i, layer] of r.layers.entries()) {
    layers.push({
      attentionNorm: await l.norm(layer.attentionNorm),
      q: await l.linear(layer.q, packed[i].q),
      k: await l.linear(layer.k, packed[i].k),
      v: await l.linear(layer.v),
      o: await l.linear(layer.o),
      mlpNorm: await l.norm(layer.mlpNorm),
      gate: layer.gate ? await l.linear(layer.gate) : null,
      up: await l.linear(layer.up),
      down: await l.linear(layer.down),
    });
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
    wanted: readonly Wanted[],
    private readonly warnings: string[],
    private readonly onProgress: ((done: number, total: number) => void) | undefined,
    private readonly chunkRows: number,
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

  upload(w: Wanted, values: Float32Array, dtype: 'f32' | 'f16', shape = w.dims.map((d) => d.n)): Tensor {
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
  vocabularyTable(w: Wanted, values: Float32Array): VocabularyTable {
    const [V, C] = w.dims.map((d) => d.n);
    const table = uploadVocabularyTable(this.e, values, V, C, this.chunkRows);
    this.created.push(...table.chunks);
    for (const tensor of table.chunks) this.filled.push({ tensor, name: w.name });
    return table;
  }

  async plain(w: Wanted): Promise<Tensor> {
    return this.upload(w, await this.read(w.name), 'f32');
  }

  async norm(r: NormRecipe): Promise<NormWeights> {
    return { weight: await this.plain(r.weight), bias: r.bias ? await this.plain(r.bias) : null };
  }

  /** W_Q and W_K of every layer in shared buffers (trainable-pack.ts), for `linear` to fill. */
  packedQK(spec: ModelSpec): PackedQK[] {
    const packed = packTrainable(this.e, spec);
    for (const { q, k } of packed) this.created.push(...[q.weight, q.bias, k.weight, k.bias].filter((t): t is Tensor => t !== null));
    return packed;
  }

  /** `into`: f32 tensors of the right shapes to write the values into, instead of new ones. */
  async linear(r: LinearRecipe, into?: LinearWeights): Promise<LinearWeights> {
    const [rows, cols] = r.weight.dims.map((d) => d.n);
    if (into && (into.weight.dtype !== 'f32' || r.dtype !== 'f32' || !r.bias !== !into.bias)) throw new Error(`${r.weight.name}: packed as ${into.weight.dtype} ${into.bias ? 'with' : 'without'} bias, the checkpoint's is ${r.dtype} ${r.bias ? 'with' : 'without'}`);
    const put = (w: Wanted, values: Float32Array, dtype: 'f32' | 'f16', shape: number[], slot: Tensor | null | undefined): Tensor => {
      if (!slot) return this.upload(w, values, dtype, shape);
      this.e.write(slot, values);
      this.filled.push({ tensor: slot, name: w.name });
      return slot;
    };
    if (r.layout.kind === 'linear') {
      const weight = put(r.weight, transpose(await this.read(r.weight.name), rows, cols), r.dtype, [cols, rows], into?.weight);
      const bias = r.bias ? put(r.bias, await this.read(r.bias.name), 'f32', r.bias.dims.map((d) => d.n), into?.bias) : null;
      return { weight, bias };
    }
    const { from, to } = r.layout;
    // q, k and v are sliced from one read of c_attn, in that order; the last slice lets go of it.
    const keep = to < cols;
    const weight = put(r.weight, columns(await this.read(r.weight.name, keep), rows, cols, from, to), r.dtype, [rows, to - from], into?.weight);
    const bias = r.bias ? put(r.bias, (await this.read(r.bias.name, keep)).slice(from, to), 'f32', [to - from], into?.bias) : null;
    return { weight, bias };
  }

  /** A tied head is the embedding tensor itself; a stored copy is checked, as transformers ignores it. */
  async tiedHead(w: Wanted, embedding: Float32Array, tokenEmbedding: VocabularyTable): Promise<VocabularyTable> {
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

function gpt2Recipe(spec: ModelSpec, source: TensorSource, frozen: FrozenDType): Recipe {
  // GPT2LMHeadModel saves under "transformer."; the original gpt2 checkpoints (GPT2Model) have no prefix.
  const p = !source.info('transformer.wte.weight') && source.info('wte.weight') ? '' : 'transformer.';
  const H = spec.hiddenSize;
  const hidden: Dim = { n: H, why: `n_embd ${H}` };
  const inner: Dim = { n: spec.intermediateSize, why: spec.intermediateSize === 4 * H ? `4 × n_embd ${H}` : `n_inner ${spec.intermediateSize}` };
  const fused: Dim = { n: 3 * H, why: `3 × n_embd ${H}` };
  const conv = (name: string, inDim: Dim, outDim: Dim, dtype: 'f32' | 'f16', from = 0, to = outDim.n): LinearRecipe => ({
    weight: { name: `${name}.weight`, dims: [inDim, outDim] },
    bias: { name: `${name}.bias`, dims: [outDim] },
    layout: { kind: 'conv1d', from, to },
    dtype,
  });
  const norm = (name: string): NormRecipe => ({ weight: { name: `${name}.weight`, dims: [hidden] }, bias: { name: `${name}.bias`, dims: [hidden] } });
  const layers = Array.from({ length: spec.numLayers }, (_, i): LayerRecipe => {
    const h = `${p}h.${i}`;
    return {
      attentionNorm: norm(`${h}.ln_1`),
      q: conv(`${h}.attn.c_attn`, hidden, fused, 'f32', 0, H),
      k: conv(`${h}.attn.c_attn`, hidden, fused, 'f32', H, 2 * H),
      v: conv(`${h}.attn.c_attn`, hidden, fused, frozen, 2 * H, 3 * H),
      o: conv(`${h}.attn.c_proj`, hidden, hidden, frozen),
      mlpNorm: norm(`${h}.ln_2`),
      gate: null,
      up: conv(`${h}.mlp.c_fc`, hidden, inner, frozen),
      down: conv(`${h}.mlp.c_proj`, inner, hidden, frozen),
    };
  });
  return {
    tokenEmbedding: { name: `${p}wte.weight`, dims: [{ n: spec.vocabSize, why: `vocab_size ${spec.vocabSize}` }, hidden] },
    positionEmbedding: { name: `${p}wpe.weight`, dims: [{ n: spec.maxPositions, why: `n_positions ${spec.maxPositions}` }, hidden] },
    layers,
    finalNorm: norm(`${p}ln_f`),
    lmHead: { name: 'lm_head.weight', dims: [{ n: spec.vocabSize, why: `vocab_size ${spec.vocabSize}` }, hidden] },
  };
}

function llamaRecipe(spec: ModelSpec, frozen: FrozenDType): Recipe {
  const hidden: Dim = { n: spec.hiddenSize, why: `hidden_size ${spec.hiddenSize}` };
  const qDim: Dim = { n: spec.numHeads * spec.headDim, why: `num_attention_heads ${spec.numHeads} × head_dim ${spec.headDim}` };
  const kvDim: Dim = { n: spec.numKvHeads * spec.headDim, why: `num_key_value_heads ${spec.numKvHeads} × head_dim ${spec.headDim}` };
  const inter: Dim = { n: spec.intermediateSize, why: `intermediate_size ${spec.intermediateSize}` };
  const vocab: Dim = { n: spec.vocabSize, why: `vocab_size ${spec.vocabSize}` };
  const linear = (name: string, inDim: Dim, outDim: Dim, bias: boolean, dtype: 'f32' | 'f16'): LinearRecipe => ({
    weight: { name: `${name}.weight`, dims: [outDim, inDim] },
    bias: bias ? { name: `${name}.bias`, dims: [outDim] } : null,
    layout: { kind: 'linear' },
    dtype,
  });
  const norm = (name: string): NormRecipe => ({ weight: { name: `${name}.weight`, dims: [hidden] }, bias: null });
  const layers = Array.from({ length: spec.numLayers }, (_, i): LayerRecipe => {
    const l = `model.layers.${i}`;
    return {
      attentionNorm: norm(`${l}.input_layernorm`),
      q: linear(`${l}.self_attn.q_proj`, hidden, qDim, spec.qkvBias, 'f32'),
      k: linear(`${l}.self_attn.k_proj`, hidden, kvDim, spec.qkvBias, 'f32'),
      v: linear(`${l}.self_attn.v_proj`, hidden, kvDim, spec.qkvBias, frozen),
      o: linear(`${l}.self_attn.o_proj`, qDim, hidden, spec.outputBias, frozen),
      mlpNorm: norm(`${l}.post_attention_layernorm`),
      gate: linear(`${l}.mlp.gate_proj`, hidden, inter, spec.mlpBias, frozen),
      up: linear(`${l}.mlp.up_proj`, hidden, inter, spec.mlpBias, frozen),
      down: linear(`${l}.mlp.down_proj`, inter, hidden, spec.mlpBias, frozen),
    };
  });
  return {
    tokenEmbedding: { name: 'model.embed_tokens.weight', dims: [vocab, hidden] },
    positionEmbedding: null,
    layers,
    finalNorm: norm('model.norm'),
    lmHead: { name: 'lm_head.weight', dims: [vocab, hidden] },
  };
}

/** Every tensor the recipe reads, once each; a tied head only when the checkpoint has one. */
function allWanted(r: Recipe, spec: ModelSpec, source: TensorSource): Wanted[] {
  const list: Wanted[] = [r.tokenEmbedding];
  if (!spec.tieWordEmbeddings || source.info(r.lmHead.name)) list.push(r.lmHead);
  if (r.positionEmbedding) list.push(r.positionEmbedding);
  const norm = (n: NormRecipe) => [n.weight, ...(n.bias ? [n.bias] : [])];
  const linear = (l: LinearRecipe | null) => (l ? [l.weight, ...(l.bias ? [l.bias] : [])] : []);
  for (const layer of r.layers) {
    list.push(...norm(layer.attentionNorm), ...linear(layer.q), ...linear(layer.k), ...linear(layer.v), ...linear(layer.o));
    list.push(...norm(layer.mlpNorm), ...linear(layer.gate), ...linear(layer.up), ...linear(layer.down));
  }
  list.push(...norm(r.finalNorm));
  const seen = new Set<string>();
  return list.filter((w) => !seen.has(w.name) && seen.add(w.name));
}

function checkShape(source: TensorSource, spec: ModelSpec, w: Wanted): void {
  const info = source.info(w.name);
  if (!info) {
    const why = w.name === 'lm_head.weight' ? ' (config.json has tie_word_embeddings false)' : '';
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
