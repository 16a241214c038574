/**
 * FLOPs a step must do, counted from the model's shapes: the multiply-adds of the projections, the
 * attention products (causal: only the n(n+1)/2 query-key pairs that exist) and the LM head, 2 FLOPs
 * each, plus Adam's elementwise update. Norms, softmax, activations and the loss are O(n·C) and left
 * out, as is usual. Work a step does not need is not counted, so an implementation that does it
 * anyway shows a lower achieved TFLOP/s:
 * - ABFT (ABFT-SPEC.md §3-4): the forward stops at the last layer's attention probabilities, and
 *   there only the loss row (the last token) is needed: its query, every key, one row of scores.
 *   The backward enters at the last row of every layer's α, computes weight gradients for W_Q and
 *   W_K only and input gradients down to layer 0, which needs none (the embeddings are frozen).
 * - Evaluation: every layer over every token (as the brief counts it), then the final norm and the
 *   LM-head rows of the label words at the last position only.
 * - End-to-end baseline (as our trainer runs it): every layer, the LM head over the whole vocabulary
 *   at the last position, cross-entropy, and the backward from the logits with W_Q/W_K gradients.
 */
import { trainableQkParameters } from '../model/memory';
import type { ModelSpec } from '../model/spec';

export type BenchTask = 'abft' | 'eval' | 'end-to-end';
export const BENCH_TASKS: readonly BenchTask[] = ['abft', 'eval', 'end-to-end'];

/** Adam per trainable parameter: two moment updates, bias corrections, the square root and division, the step. */
export const ADAM_FLOPS_PER_PARAMETER = 12;

export interface StepShape {
  /** Prompts per step (the pseudo-batch). */
  readonly prompts: number;
  /** Tokens of every prompt. */
  readonly tokens: number;
  /** Label words scored by evaluation. */
  readonly labelWords: number;
}

export interface StepFlops {
  readonly forward: number;
  readonly backward: number;
  readonly optimizer: number;
  readonly total: number;
  /** The part of forward + backward done by the projections and LM head (not attention's products): comparable with a profile's executed matmul FLOPs (executed.ts). */
  readonly projections: number;
}

/** Sizes one layer's counts need. */
function dims(spec: ModelSpec) {
  const C = spec.hiddenSize;
  const q = spec.numHeads * spec.headDim;
  const kv = spec.numKvHeads * spec.headDim;
  const mlpMatrices = spec.mlp !== 'gelu' ? 3 : 2;
  return { C, q, kv, D: spec.headDim, Hq: spec.numHeads, mlp: mlpMatrices * C * spec.intermediateSize };
}

/** Query-key pairs of causal attention over n tokens. */
function causalPairs(n: number): number {
  return (n * (n + 1)) / 2;
}

/** One full layer's forward over n tokens: projections, causal scores and weighted sum, MLP. */
function layerForward(spec: ModelSpec, n: number): number {
  const { C, q, kv, D, Hq, mlp } = dims(spec);
  return 2 * n * C * (q + 2 * kv) + 2 * 2 * D * Hq * causalPairs(n) + 2 * n * q * C + 2 * n * mlp;
}

/**
 * Backward of one full layer below the loss layer, dh given: MLP and o-projection input gradients,
 * the four attention products, W_Q / W_K weight gradients, and dx through q, k, v unless it is layer 0.
 */
function layerBackward(spec: ModelSpec, n: number, layer: number): number {
  const { C, q, kv, D, Hq, mlp } = dims(spec);
  const inputGrads = 2 * n * mlp + 2 * n * q * C + 4 * 2 * D * Hq * causalPairs(n);
  const weightGrads = 2 * n * C * (q + kv);
  const dx = layer > 0 ? 2 * n * C * (q + 2 * kv) : 0;
  return inputGrads + weightGrads + dx;
}

export function stepFlops(spec: ModelSpec, task: BenchTask, shape: StepShape): StepFlops {
  const { C, q, kv, D, Hq } = dims(spec);
  const n = shape.tokens;
  const L = spec.numLayers;
  let forward = 0;
  let backward = 0;
  let optimizer = 0;
  if (task === 'abft') {
    // Layers below the last: whole; the last: every key, the last token's query, one row of scores.
    for (let l = 0; l < L - 1; l++) forward += layerForward(spec, n);
    forward += 2 * n * C * kv + 2 * C * q + 2 * D * Hq * n;
    // The last layer's loss row: dq of one row and dk of every key from one row of dScores; dW_K over
    // every token, dW_Q of one row; dx (unless it is layer 0) through k for every token and q for one.
    backward += 2 * 2 * D * Hq * n + 2 * n * C * kv + 2 * C * q + (L - 1 > 0 ? 2 * n * C * kv + 2 * C * q : 0);
    // Below it, the full backward; each layer's own loss row adds only O(n·D) to its dScores.
    for (let l = L - 2; l >= 0; l--) backward += layerBackward(spec, n, l);
    optimizer = ADAM_FLOPS_PER_PARAMETER * trainableQkParameters(spec);
  } else if (task === 'eval') {
    forward = L * layerForward(spec, n) + 2 * C * shape.labelWords;
  } else {
    forward = L * layerForward(spec, n) + 2 * C * spec.vocabSize;
    backward = 2 * C * spec.vocabSize;
    for (let l = L - 1; l >= 0; l--) backward += layerBackward(spec, n, l);
    optimizer = ADAM_FLOPS_PER_PARAMETER * trainableQkParameters(spec);
  }
  const scale = shape.prompts;
  const projections = (forward + backward - attentionProducts(spec, task, n)) * scale;
  return { forward: forward * scale, backward: backward * scale, optimizer, total: (forward + backward) * scale + optimizer, projections };
}

/** The attention products (scores, weighted sums and their gradients) within one prompt's count above. */
function attentionProducts(spec: ModelSpec, task: BenchTask, n: number): number {
  const { D, Hq } = dims(spec);
  const L = spec.numLayers;
  const forwardLayer = 2 * 2 * D * Hq * causalPairs(n);
  const backwardLayer = 4 * 2 * D * Hq * causalPairs(n);
  if (task === 'abft') return (L - 1) * (forwardLayer + backwardLayer) + 2 * D * Hq * n + 2 * 2 * D * Hq * n;
  if (task === 'eval') return L * forwardLayer;
  return L * (forwardLayer + backwardLayer);
}
