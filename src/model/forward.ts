/**
 * The forward pass of a loaded model on the GPU (GPT-2, Llama, Qwen2, Qwen3, Gemma 3), the one that
 * evaluation, ABFT and the end-to-end step all run. It returns only what is asked: logits of chosen
 * positions and vocabulary rows, and attention probabilities of chosen rows, layers and heads; ABFT
 * stops after the last layer's attention (`stopAfterAttentionOf`). Given `tape: true` it also
 * records what `backward` (backward.ts) reads (tape.ts), and the layer it stops after then computes
 * the loss rows' queries only (loss-row-attention.ts). Activations are freed by scope (scope.ts):
 * whatever is neither returned nor on the tape is released when its block ends. The batch is
 * uploaded once at the start and nothing is read back.
 */
import { attentionProbs } from '../engine/ops/attention';
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import type { TokenBatch } from './batch';
import { attentionResidual, copyOf, embed, layerAttention, logitsHead, mlpResidual, normalize, selfAttention, type BatchTensors, type HeadSaved } from './blocks';
import { lossRowAttention, type LossRows } from './loss-row-attention';
import { Arena, scope } from './scope';
import type { ModelSpec, ModelWeights } from './spec';
import type { LayerTape, Tape } from './tape';

export interface ForwardOptions {
  /** Logits at `rows` ([B * P]: P positions per sequence), for the vocabulary ids `vocab` (all when absent). */
  readonly logits?: { readonly rows: Int32Array; readonly vocab?: Int32Array };
  /**
   * Post-softmax probabilities of the query rows `rows` ([B * R]: R positions per sequence) for the
   * chosen layers (all that run by default) and query heads (all by default, in the order given).
   */
  readonly attention?: { readonly rows: Int32Array; readonly layers?: readonly number[]; readonly heads?: readonly number[] };
  /** Stop once this layer's attention probabilities are computed: no output projection or MLP there, no later layers, no logits. */
  readonly stopAfterAttentionOf?: number;
  /**
   * Record what the backward reads. Needs the attention of one row per sequence (the loss row) in
   * every layer that runs, all heads; and either the logits or `stopAfterAttentionOf`; or, with
   * `nextTokenTargets`, neither, and optionally the attention of any R rows per sequence in every
   * layer, all heads (pretraining's losses on attention).
   */
  readonly tape?: boolean;
  /** With `tape`: record layer 0's attention norm too, so the backward reaches the embeddings (training every weight). */
  readonly tapeThroughEmbeddings?: boolean;
  /**
   * With `tape` (and no logits or stop): run every layer and keep the last hidden state with these
   * targets ([B * T] i32, -1 ignored: next-token-loss.ts), for the pretraining loss the backward computes.
   */
  readonly nextTokenTargets?: Int32Array;
}

export interface ForwardResult {
  /** [B, P, V'] */
  readonly logits?: Tensor;
  /** [B, H', R, T] per chosen layer, in the order of `attention.layers`. */
  readonly attention?: Tensor[];
  /** With `tape`; its `probs` and `logits` are the two above. */
  readonly tape?: Tape;
}

/** The request, checked against the model and the batch before anything runs on the GPU. */
interface Plan {
  readonly lastLayer: number;
  /** The layer after whose attention the forward stops, if it does. */
  readonly stop: number | null;
  readonly logits: { readonly flatRows: Int32Array; readonly P: number; readonly vocab: Int32Array | null } | null;
  readonly attention: { readonly rows: Int32Array; readonly R: number; readonly layers: readonly number[]; readonly heads: Int32Array | null } | null;
  readonly tape: boolean;
  readonly throughEmbeddings: boolean;
  readonly nextTokenTargets: Int32Array | null;
}

export function forward(e: Engine, spec: ModelSpec, weights: ModelWeights, batch: TokenBatch, opts: ForwardOptions = {}): ForwardResult {
  const plan = planForward(spec, batch, opts);
  const arena = plan.tape ? new Arena() : null;
  try {
    return scope(e, () => runForward(e, spec, weights, batch, plan, arena));
  } catch (error) {
    arena?.release();
    throw error;
  }
}

function runForward(e: Engine, spec: ModelSpec, weights: ModelWeights, batch: TokenBatch, plan: Plan, arena: Arena | null): ForwardResult {
  const { B, T } = batch;
  // Every input is uploaded before the first launch, so the step's command buffer is not split.
  const sliding = spec.gemma3?.slidingPositions;
  const inputs: BatchTensors = {
    B,
    T,
    ids: e.upload(batch.ids, [B, T], 'i32'),
    keyMask: e.upload(batch.keyMask, [B, T], 'u32'),
    positions: e.upload(batch.positions, [B, T], 'i32'),
    invFreq: spec.positions.kind === 'rope' ? e.upload(spec.positions.invFreq, [spec.positions.invFreq.length]) : null,
    ...(sliding?.kind === 'rope' && { slidingInvFreq: e.upload(sliding.invFreq, [sliding.invFreq.length]) }),
  };
  const logitRows = plan.logits ? e.upload(plan.logits.flatRows, [B, plan.logits.P], 'i32') : null;
  const vocab = plan.logits?.vocab ? e.upload(plan.logits.vocab, [plan.logits.vocab.length], 'i32') : null;
  const probRows = plan.attention ? e.upload(plan.attention.rows, [B, plan.attention.R], 'i32') : null;
  const heads = plan.attention?.heads ? e.upload(plan.attention.heads, [plan.attention.heads.length], 'i32') : null;
  // The layer the recording forward stops after reads the loss rows as rows of h and their positions.
  const rows: LossRows | null =
    arena && plan.stop !== null && probRows
      ? {
          inSequence: probRows,
          flat: e.upload(Int32Array.from(plan.attention!.rows, (t, b) => b * T + t), [B, 1], 'i32'),
          positions: e.upload(Int32Array.from(plan.attention!.rows, (t, b) => batch.positions[b * T + t]), [B, 1], 'i32'),
        }
      : null;

  const targets = plan.nextTokenTargets ? e.upload(plan.nextTokenTargets, [B * T], 'i32') : null;

  const h = embed(e, spec, weights, inputs);
  const probs: Tensor[] = [];
  const layers: LayerTape[] = [];
  for (let l = 0; l <= plan.lastLayer; l++) {
    const layer = weights.layers[l];
    const probsAt = plan.attention ? plan.attention.layers.indexOf(l) : -1;
    const stopsHere = l === plan.stop;
    // The attention block. Its input gradient is read from layer 1 on, so the tape copies h there (later blocks update h in
    // place) and keeps the norm's statistics; elsewhere they are freed at once.
    const p = scope(e, () => {
      const norm =
        arena && (l > 0 || plan.throughEmbeddings)
          ? normalize(e, spec, layer.attentionNorm, copyOf(e, h))
          : { y: scope(e, () => normalize(e, spec, layer.attentionNorm, h).y), saved: null };
      const attentionNorm = norm.saved;
      if (stopsHere && rows) {
        const { saved: lossRow, probs: alpha } = lossRowAttention(e, spec, layer, norm.y, inputs, l, rows);
        layers.push(arena!.hold({ attentionNorm, x: norm.y, attention: null, postAttentionNorm: null, lossRow, mlp: null }));
        return alpha;
      }
      const a = selfAttention(e, spec, layer, norm.y, inputs, l);
      const alpha = probsAt >= 0 ? attentionProbs(e, a.q, a.k, a.lse, inputs.keyMask, probRows!, { heads: heads ?? undefined, ...layerAttention(spec, inputs, l).opts }) : null;
      const postAttentionNorm = stopsHere ? null : attentionResidual(e, spec, layer, a.out, h, arena !== null);
      if (arena) layers.push(arena.hold({ attentionNorm, x: norm.y, attention: a, postAttentionNorm, lossRow: null, mlp: null }));
      return alpha;
    });
    if (p) probs[probsAt] = p;
    if (stopsHere) break;
    const mlp = mlpResidual(e, spec, layer, h, arena !== null);
    if (arena) layers[l] = { ...layers[l], mlp: arena.hold(mlp) };
  }
  let head: { logits: Tensor; saved: HeadSaved } | null = null;
  if (logitRows) head = logitsHead(e, spec, weights, h, logitRows, vocab);
  if (head && arena) arena.hold(head.saved);
  const result = { ...(head && { logits: head.logits }), ...(plan.attention && { attention: probs }) };
  if (!arena) return result;

  arena.hold({ inputs, probRows, rows, logitRows });
  const nextToken = targets ? arena.hold({ h, targets }) : null;
  const tape: Tape = {
    upTo: nextToken ? 'next-token' : head ? 'logits' : 'last-attention',
    throughEmbeddings: plan.throughEmbeddings,
    B,
    T,
    batch: inputs,
    lossRows: probRows,
    probs,
    logits: head?.logits ?? null,
    layers,
    rows,
    head: head && { saved: head.saved, flatRows: logitRows! },
    nextToken,
    get released() {
      return arena.released;
    },
    release: () => arena.release(),
  };
  return { ...result, tape };
}

function planForward(spec: ModelSpec, batch: TokenBatch, opts: ForwardOptions): Plan {
  const { B, T } = batch;
  if (batch.ids.length !== B * T || batch.keyMask.length !== B * T || batch.positions.length !== B * T) {
    throw new Error(`forward: batch arrays do not match B = ${B}, T = ${T}; build batches with packBatch`);
  }
  for (let i = 0; i < B * T; i++) {
    if (!batch.keyMask[i]) continue;
    const id = batch.ids[i];
    if (!(id >= 0 && id < spec.vocabSize)) throw new Error(`forward: token id ${id} (sequence ${Math.floor(i / T)}) is outside the vocabulary 0..${spec.vocabSize - 1}`);
    if (batch.positions[i] >= spec.maxPositions) {
      throw new Error(`forward: sequence ${Math.floor(i / T)} reaches position ${batch.positions[i]}, beyond the model's ${spec.maxPositions} positions`);
    }
  }
  const stop = opts.stopAfterAttentionOf;
  if (stop !== undefined) {
    if (!Number.isInteger(stop) || stop < 0 || stop >= spec.numLayers) {
      throw new Error(`forward: stopAfterAttentionOf = ${stop} is not a layer of this ${spec.numLayers}-layer model (0..${spec.numLayers - 1})`);
    }
    if (opts.logits) throw new Error('forward: logits need the whole model; drop stopAfterAttentionOf to get them');
  }
  const lastLayer = stop ?? spec.numLayers - 1;

  let logits: Plan['logits'] = null;
  if (opts.logits) {
    const P = rowsPerSequence('logits.rows', opts.logits.rows, B, T);
    const flatRows = opts.logits.rows.map((t, i) => Math.floor(i / P) * T + t);
    const vocab = opts.logits.vocab ?? null;
    if (vocab) checkIndices('logits.vocab', vocab, spec.vocabSize, 'vocabulary ids');
    logits = { flatRows, P, vocab };
  }

  let attention: Plan['attention'] = null;
  if (opts.attention) {
    const R = rowsPerSequence('attention.rows', opts.attention.rows, B, T);
    const layers = opts.attention.layers ?? Array.from({ length: lastLayer + 1 }, (_, l) => l);
    checkIndices('attention.layers', layers, lastLayer + 1, stop === undefined ? 'layers' : 'layers up to stopAfterAttentionOf');
    if (new Set(layers).size !== layers.length) throw new Error(`forward: attention.layers [${layers.join(', ')}] names a layer twice`);
    const heads = opts.attention.heads ? Int32Array.from(opts.attention.heads) : null;
    if (heads) checkIndices('attention.heads', heads, spec.numHeads, 'query heads');
    attention = { rows: opts.attention.rows, R, layers, heads };
  }
  const targets = opts.nextTokenTargets ?? null;
  if (targets) {
    if (!opts.tape) throw new Error('forward: nextTokenTargets are for a recording forward; pass tape: true');
    if (logits || stop !== undefined) throw new Error('forward: nextTokenTargets take the place of logits and stopAfterAttentionOf; ask for neither');
    if (attention && (attention.heads || attention.layers.length !== lastLayer + 1 || attention.layers.some((layer, i) => layer !== i))) {
      throw new Error('forward: with nextTokenTargets, attention must be of every layer, in order, and of all heads (the backward takes a gradient on each)');
    }
    if (targets.length !== B * T) throw new Error(`forward: nextTokenTargets has ${targets.length} entries, expected B * T = ${B * T}`);
    // -1 marks a position without a target; any other entry must be a vocabulary id.
    const named = Array.from(targets, (t) => (t === -1 ? 0 : t));
    checkIndices('nextTokenTargets', named, spec.vocabSize, 'vocabulary ids (or -1, no target)');
  } else if (opts.tape) {
    checkTapeRequest(logits, attention, stop, lastLayer);
  }
  if (opts.tapeThroughEmbeddings && !opts.tape) throw new Error('forward: tapeThroughEmbeddings is for a recording forward; pass tape: true');
  return { lastLayer, stop: stop ?? null, logits, attention, tape: opts.tape === true, throughEmbeddings: opts.tapeThroughEmbeddings === true, nextTokenTargets: targets };
}

/** The backward takes dL/dα [B, Hq, 1, T] of every layer that ran, and starts from the logits or from the layer the forward stopped after. */
function checkTapeRequest(logits: Plan['logits'], attention: Plan['attention'], stop: number | undefined, lastLayer: number): void {
  if (!attention || attention.R !== 1) throw new Error('forward: a tape needs attention.rows with one row per sequence (the loss rows)');
  if (attention.heads || attention.layers.some((layer, i) => layer !== i) || attention.layers.length !== lastLayer + 1) {
    throw new Error('forward: a tape needs the attention of every layer that runs, in order, and of all heads');
  }
  if (!logits && stop === undefined) throw new Error('forward: a tape needs the logits or stopAfterAttentionOf, where the backward starts');
}

function rowsPerSequence(what: string, rows: Int32Array, B: number, T: number): number {
  if (rows.length === 0 || rows.length % B !== 0) throw new Error(`forward: ${what} has ${rows.length} entries, expected a positive multiple of B = ${B} (positions per sequence)`);
  checkIndices(what, rows, T, 'positions of the batch');
  return rows.length / B;
}

function checkIndices(what: string, values: ArrayLike<number>, n: number, of: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= n) throw new Error(`forward: ${what}[${i}] = ${v} is outside the ${n} ${of} (0..${n - 1})`);
  }
}
