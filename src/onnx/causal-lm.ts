/**
 * The causal-LM graph of a GPT-2, Llama-family, Qwen2, Qwen3 or Gemma 3 model with the inputs and outputs that
 * transformers.js (and Hugging Face Optimum's exports) use for text generation with a KV cache:
 *
 *   input_ids, attention_mask, position_ids [batch, sequence] int64, past_key_values.<l>.key/value
 *   [batch, kv heads, past, head dim] float32, num_logits_to_keep [] int64
 *   ->  logits [batch, kept positions, vocab], present.<l>.key/value [batch, kv heads, past + sequence, head dim].
 *
 * transformers.js feeds position_ids from the attention mask (cumsum - 1), which is also how our
 * engine numbers the positions of a padded sequence, and an empty cache (past length 0) on the
 * first call. The causal mask and the padding mask are built in the graph from attention_mask, and
 * for Gemma 3's sliding layers also the window, by index over the whole cache (which keeps every key).
 * num_logits_to_keep (HF's logits_to_keep) is how many of the last positions get logits, 0 for all:
 * transformers.js asks for 1 while generating, which spares a [sequence, vocab] product per prompt.
 */
import type { ModelSpec, PositionEncoding } from '../model/spec';
import { GraphBuilder, type Graph } from './graph';
import { checkpointNames, type NormNames } from './hf-names';
import { attention, geglu, geluTanh, layerNorm, projection, rmsNorm, rope, swiglu, type AttentionShapes } from './layers';
import { DataType } from './schema';

/** The ONNX opset the graph uses; onnxruntime-web's wasm and WebGPU backends run it. */
export const OPSET = 17;

export const INPUT_NAMES = { ids: 'input_ids', mask: 'attention_mask', positions: 'position_ids', logitsToKeep: 'num_logits_to_keep' } as const;

export function pastName(layer: number, which: 'key' | 'value'): string {
  return `past_key_values.${layer}.${which}`;
}

export function presentName(layer: number, which: 'key' | 'value'): string {
  return `present.${layer}.${which}`;
}

const BATCH = 'batch_size';
const SEQUENCE = 'sequence_length';
const PAST = 'past_sequence_length';
const TOTAL = 'total_sequence_length';
const LOGITS = 'logits_length';

/** The graph of `spec`, reading weights by their names in a checkpoint that holds `tensorNames`. */
export function causalLmGraph(spec: ModelSpec, tensorNames: ReadonlySet<string>): Graph {
  const names = checkpointNames(spec, tensorNames);
  const g = new GraphBuilder(`${spec.hfArchitecture} (ABFT Studio export)`);
  const H = spec.hiddenSize;
  const { numKvHeads: Hkv, headDim: D } = spec;

  const ids = g.input(INPUT_NAMES.ids, DataType.INT64, [BATCH, SEQUENCE]);
  const mask = g.input(INPUT_NAMES.mask, DataType.INT64, [BATCH, TOTAL]);
  const positions = g.input(INPUT_NAMES.positions, DataType.INT64, [BATCH, SEQUENCE]);
  const keep = g.input(INPUT_NAMES.logitsToKeep, DataType.INT64, []);
  const past = Array.from({ length: spec.numLayers }, (_, l) => ({
    key: g.input(pastName(l, 'key'), DataType.FLOAT, [BATCH, Hkv, PAST, D]),
    value: g.input(pastName(l, 'value'), DataType.FLOAT, [BATCH, Hkv, PAST, D]),
  }));

  const batchAndSequence = g.op('Shape', [ids]);
  const gemma3 = spec.gemma3;
  const isSliding = (l: number) => gemma3?.layerTypes[l] === 'sliding_attention';
  const layers = Array.from({ length: spec.numLayers }, (_, l) => l);
  const anySliding = layers.some(isSliding);
  const anyFull = !layers.every(isSliding);
  const masks = g.within('mask', () => blockedPositions(g, ids, mask, anySliding ? gemma3!.slidingWindow : null));
  const attentionShapes = (l: number): AttentionShapes => ({
    batchAndSequence,
    blocked: isSliding(l) ? masks.sliding! : masks.full,
    scale: gemma3 ? gemma3.attentionScale : 1 / Math.sqrt(D),
    numHeads: spec.numHeads,
    numKvHeads: Hkv,
    headDim: D,
  });

  let h = g.within('embed', () => {
    const tokens = g.op('Gather', [g.weight(names.tokenEmbedding, [spec.vocabSize, H]), ids], { axis: 0 });
    // Gemma3TextScaledWordEmbedding: times sqrt(hidden_size), already rounded to f32 in the spec.
    const scaled = gemma3 ? g.op('Mul', [tokens, g.scalar(gemma3.embeddingScale)]) : tokens;
    const summed = names.positionEmbedding ? g.op('Add', [scaled, g.op('Gather', [g.weight(names.positionEmbedding, [spec.maxPositions, H]), positions], { axis: 0 })]) : scaled;
    return g.op('Reshape', [summed, g.ints([-1, H])]);
  });
  // Each table is maxPositions x rotaryDim / 2 floats: only those some layer reads are written.
  const rotary = spec.positions.kind === 'rope' && anyFull ? g.within('rotary', () => rotaryTables(g, spec, spec.positions, positions, 'rotary')) : null;
  // Gemma 3's sliding layers rotate with their own frequencies (rope_local_base_freq).
  const slidingRotary = anySliding ? g.within('rotary_sliding', () => rotaryTables(g, spec, gemma3!.slidingPositions, positions, 'rotary_sliding')) : null;

  const weightOffset = spec.norm.weightOffset ?? 0;
  const norm = (x: string, n: NormNames) => (spec.norm.kind === 'layernorm' ? layerNorm(g, x, n, H, spec.norm.eps) : rmsNorm(g, x, n, H, spec.norm.eps, weightOffset));
  // Gemma 3 normalises each block's output before the residual add.
  const postNorm = (y: string, n: NormNames | null) => (n ? g.within('post_norm', () => norm(y, n)) : y);
  const heads = (x: string, count: number) => g.op('Reshape', [x, g.op('Concat', [batchAndSequence, g.ints([count, D])], { axis: 0 })]);

  for (let l = 0; l < spec.numLayers; l++) {
    const layer = names.layer(l);
    const layerRotary = isSliding(l) ? slidingRotary : rotary;
    h = g.within(`layers.${l}`, () => {
      const x = norm(h, layer.attentionNorm);
      const { out, presentKey, presentValue } = g.within('attn', () => {
        let q: string, k: string, v: string;
        if ('fused' in layer.qkv) {
          [q, k, v] = g.node('Split', [projection(g, x, layer.qkv.fused), g.ints([H, H, H])], { axis: 1 }, 3);
        } else {
          [q, k, v] = [projection(g, x, layer.qkv.q), projection(g, x, layer.qkv.k), projection(g, x, layer.qkv.v)];
        }
        let q4 = heads(q, spec.numHeads);
        let k4 = heads(k, Hkv);
        if (layer.qkNorm) {
          // Qwen3, Gemma 3: each head normalised over its D values (Gemma's with 1 + w), before RoPE.
          q4 = g.within('q_norm', () => rmsNorm(g, q4, layer.qkNorm!.q, D, spec.norm.eps, weightOffset));
          k4 = g.within('k_norm', () => rmsNorm(g, k4, layer.qkNorm!.k, D, spec.norm.eps, weightOffset));
        }
        if (layerRotary) {
          q4 = rope(g, q4, layerRotary.cos, layerRotary.sin, D, layerRotary.rotaryDim);
          k4 = rope(g, k4, layerRotary.cos, layerRotary.sin, D, layerRotary.rotaryDim);
        }
        return attention(g, attentionShapes(l), q4, k4, heads(v, Hkv), past[l]);
      });
      g.output(presentKey, presentName(l, 'key'), DataType.FLOAT, [BATCH, Hkv, TOTAL, D]);
      g.output(presentValue, presentName(l, 'value'), DataType.FLOAT, [BATCH, Hkv, TOTAL, D]);
      const afterAttention = g.op('Add', [h, postNorm(projection(g, out, layer.o), layer.postAttentionNorm)]);
      const x2 = norm(afterAttention, layer.mlpNorm);
      const mlp = g.within('mlp', () => {
        const m = layer.mlp;
        if (m.kind === 'gelu') return projection(g, geluTanh(g, projection(g, x2, m.up)), m.down);
        const gated = m.kind === 'geglu' ? geglu : swiglu;
        return projection(g, gated(g, projection(g, x2, m.gate), projection(g, x2, m.up)), m.down);
      });
      return g.op('Add', [afterAttention, postNorm(mlp, layer.postMlpNorm)]);
    });
  }

  const logits = g.within('lm_head', () => {
    const kept = lastPositions(g, g.op('Reshape', [h, g.op('Concat', [batchAndSequence, g.ints([H])], { axis: 0 })]), keep);
    const y = norm(g.op('Reshape', [kept, g.ints([-1, H])]), names.finalNorm);
    // Gemm with transB reads the [vocab, hidden] head as stored: a tied head is the embedding's initializer itself.
    const flat = g.op('Gemm', [y, g.weight(names.lmHead, [spec.vocabSize, H])], { transB: 1 });
    return g.op('Reshape', [flat, g.op('Concat', [g.op('Shape', [kept], { end: 2 }), g.ints([spec.vocabSize])], { axis: 0 })]);
  });
  g.output(logits, 'logits', DataType.FLOAT, [BATCH, LOGITS, spec.vocabSize]);
  return g.build();
}

/** x [B, S, H] -> its last `keep` positions [B, keep, H]; all S when keep is 0 (or larger than S). */
function lastPositions(g: GraphBuilder, x: string, keep: string): string {
  const sequence = g.op('Shape', [x], { start: 1, end: 2 });
  const zero = g.ints([0], []);
  const kept = g.op('Where', [g.op('Equal', [keep, zero]), sequence, g.op('Min', [g.op('Unsqueeze', [keep, g.ints([0])]), sequence])]);
  const start = g.op('Sub', [sequence, kept]);
  return g.op('Slice', [x, start, g.ints([Number.MAX_SAFE_INTEGER]), g.ints([1])]);
}

/**
 * [B, 1, 1, S, T] bool, true where query s (at absolute index i = past + s) must not attend to key t:
 * t is later than the query, or attention_mask[b, t] is 0. `sliding`: the same, also true where t is
 * `window` or more before the query (HF's sliding window: key t is seen when i - window < t <= i);
 * null when no layer slides.
 */
function blockedPositions(g: GraphBuilder, ids: string, mask: string, window: number | null): { full: string; sliding: string | null } {
  const scalar = (x: string) => g.op('Squeeze', [x, g.ints([0])]);
  const total = g.op('Shape', [mask], { start: 1, end: 2 });
  const sequence = g.op('Shape', [ids], { start: 1, end: 2 });
  const pastLength = g.op('Sub', [total, sequence]);
  const one = g.ints([1], []);
  const keys = g.op('Range', [g.ints([0], []), scalar(total), one]);
  const queries = g.op('Range', [scalar(pastLength), scalar(total), one]);
  // [S, T]: i - t, negative for a later key.
  const distance = g.op('Sub', [g.op('Unsqueeze', [queries, g.ints([1])]), g.op('Unsqueeze', [keys, g.ints([0])])]);
  const later = g.op('Less', [distance, g.ints([0], [])]);
  const padding = g.op('Unsqueeze', [g.op('Equal', [mask, g.ints([0], [])]), g.ints([1, 2, 3])]);
  const full = g.op('Or', [later, padding]);
  if (window === null) return { full, sliding: null };
  const outside = g.op('Greater', [distance, g.ints([window - 1], [])]);
  return { full, sliding: g.op('Or', [full, outside]) };
}

/**
 * cos and sin of every position's angles under `pos`, gathered by position_ids into
 * [B, S, 1, rotaryDim / 2] (the 1 broadcasts over heads). The tables hold cos/sin of
 * f32(position × inv_freq) computed in float64, which is HF's angle with the most accurate cos/sin an
 * f32 can hold: a GPU's cos of a large angle (hundreds of radians at long positions) is far less
 * accurate. The constants are named `${name}.cos` / `${name}.sin`.
 */
function rotaryTables(g: GraphBuilder, spec: ModelSpec, pos: PositionEncoding, positions: string, name: string) {
  if (pos.kind !== 'rope') throw new Error('onnx graph: rotary tables of a model without RoPE');
  if (pos.layout !== 'half') {
    throw new Error(`ONNX export: ${spec.hfArchitecture} rotates interleaved pairs of dimensions, which the exporter does not write; pick a model with HF's rotate_half RoPE.`);
  }
  const half = pos.invFreq.length;
  // transformers.js numbers a gemma3_text model's positions from 1 (its create_position_ids start
  // index, kept from PaliGemma): one more row keeps its last position in the table. RoPE depends only
  // on the distance between positions, so the shift leaves the logits as they are.
  const rows = spec.maxPositions + (spec.gemma3 ? 1 : 0);
  const cos = new Float32Array(rows * half);
  const sin = new Float32Array(rows * half);
  for (let p = 0; p < rows; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * pos.invFreq[i]);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  const gather = (table: string) => g.op('Unsqueeze', [g.op('Gather', [table, positions], { axis: 0 }), g.ints([2])]);
  return {
    cos: gather(g.floats(`${name}.cos`, cos, [rows, half])),
    sin: gather(g.floats(`${name}.sin`, sin, [rows, half])),
    rotaryDim: pos.rotaryDim,
  };
}
