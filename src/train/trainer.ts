/**
 * The training loop: ABFT (the attention loss of ABFT-SPEC.md §3 on W_Q and W_K) or the end-to-end
 * baseline (cross-entropy of the gold label's tokens after the prompt), Adam, pseudo-batches
 * split into micro-batches whose gradients accumulate on the GPU, and the PID rule for 𝒜 between
 * pseudo-batches. One readback per step: the loss statistics, read before the optimizer step so a
 * non-finite loss never reaches the weights.
 */
import { abftLoss, summarizeStats, type HeadSummary } from '../abft/loss';
import { PunishmentController, type PunishmentControllerState } from '../abft/pid';
import { LABEL_SCORING_CONTROL, scoringRoom, singleTokenIds, type LabelTargets } from '../abft/label-scoring';
import { labelMap, type PreparedPrompt } from '../abft/prepared';
import { InputError, quote } from '../data/dataset';
import type { Engine } from '../engine/engine';
import { crossEntropy } from '../engine/ops/cross-entropy';
import { AdamOptimizer, flagNonFinite, gradNorm as globalGradNorm, type AdamState } from '../engine/ops/optimizer';
import type { Tensor } from '../engine/tensor';
import { rng } from '../engine/random';
import { backward } from '../model/backward';
import { lastTokenRows, packBatch } from '../model/batch';
import { createTrainableGrads, paramOf, releaseGrads, zeroGrads, type TrainableGrads } from '../model/grads';
import type { LoadedModel } from '../model/load';
import { trainingForward } from '../model/training-forward';
import { fitMicroBatch } from './micro-batch';
import { checkTrainOptions, type TrainOptions } from './options';

export interface StepMetrics {
  /** 1-based index of the optimizer step just taken. */
  readonly step: number;
  readonly loss: number;
  /** 𝒜 used in this step, and the value the PID chose for the next (ABFT only; 0 for end-to-end). */
  readonly punishment: number;
  readonly nextPunishment: number;
  /** n̄: heads passing the filter per prompt, averaged over the pseudo-batch (ABFT only). */
  readonly passingHeads: number;
  /** [layer][head] mean last-token attention on I⁺, I⁻ and the first token (ABFT only). */
  readonly perLayerHead: HeadSummary[][] | null;
  /** Global norm of the averaged gradient of the trainable weights. */
  readonly gradNorm: number;
  readonly ms: number;
  /** Real (non-padding) tokens of the pseudo-batch. */
  readonly tokens: number;
  readonly tokensPerSecond: number;
}

/**
 * A loss or gradient that is NaN or infinite: the step was not applied, the weights are those the
 * step ran on. Whether they are the model's, this run's or an earlier run's decides what to blame,
 * which only the caller knows: it passes the explanation (see non-finite.ts).
 */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly what: 'loss' | 'gradient norm',
    readonly value: number,
    explanation = 'The weights are those the step ran on.',
  ) {
    super(`Training step ${step}: the ${what} is ${value}, so the step was not applied. ${explanation}`);
    this.name = 'NonFiniteLossError';
  }
}

export interface TrainerState {
  readonly stepsDone: number;
  readonly pid: PunishmentControllerState;
  readonly adamStep: number;
}

/** One trained tensor with its Adam moments (live GPU tensors: read them, do not release them). */
export interface TrainableTensor {
  /** `layers.<layer>.<q|k|v|o>.<weight|bias>`, stable across runs of the same model and options. */
  readonly name: string;
  readonly param: Tensor;
  readonly m: Tensor;
  readonly v: Tensor;
}

/** What a training checkpoint restores besides the weights (see checkpoint.ts). */
export interface TrainerRestore {
  readonly stepsDone: number;
  readonly pid: PunishmentControllerState;
  readonly adam: AdamState;
}

export class Trainer {
  private readonly grads: TrainableGrads;
  private readonly optimizer: AdamOptimizer;
  private readonly pid: PunishmentController;
  private stepsDone = 0;
  /** Prompts per GPU pass: the option, lowered where the longest prompt's activations would not fit. */
  readonly microBatch: number;

  constructor(
    private readonly e: Engine,
    private readonly model: LoadedModel,
    private readonly prompts: readonly PreparedPrompt[],
    private readonly options: TrainOptions,
    /** Each class's tokens as the query's answer under the run's label scoring (end-to-end targets). */
    private readonly labels: LabelTargets,
  ) {
    checkTrainOptions(options);
    if (prompts.length === 0) throw new Error('There are no training prompts; add rows to the training pool.');
    if (labels.scoring !== options.labelScoring) throw new Error(`Trainer: the labels are scored by '${labels.scoring}', the options say '${options.labelScoring}'`);
    const endToEnd = options.objective === 'end-to-end';
    if (endToEnd) checkEndToEndTargets(model, prompts, options, labels);
    this.grads = createTrainableGrads(e, model.spec, model.weights, options.objective === 'abft' ? 'qk' : options.trainable);
    const params = this.grads.entries.flatMap((g) => {
      const w = paramOf(model.weights, g);
      return w.bias ? [w.weight, w.bias] : [w.weight];
    });
    this.optimizer = new AdamOptimizer(e, params, {
      lr: options.lr,
      beta1: options.beta1,
      beta2: options.beta2,
      eps: options.eps,
      weightDecay: options.weightDecay,
      decoupledWeightDecay: false,
    });
    this.pid = new PunishmentController(options.abft.punishment, options.abft.pid);
    const fullVocabulary = endToEnd && options.endToEndVocabulary === 'full';
    // The end-to-end target of a label word of m tokens extends its prompt by m - 1 tokens and reads m rows of logits.
    const room = endToEnd ? scoringRoom(labels) : 0;
    this.microBatch = fitMicroBatch(model.spec, {
      tokens: Math.max(...prompts.map((p) => p.ids.length)) + room,
      requested: Math.min(options.microBatch, options.pseudoBatch),
      logitsColumns: (fullVocabulary ? model.spec.vocabSize : labels.tokens.length) * (room + 1),
      maxBufferBytes: e.limits.maxStorageBufferBindingSize,
      budgetBytes: options.activationBudgetBytes,
    });
  }

  get steps(): number {
    return this.stepsDone;
  }

  get trainOptions(): TrainOptions {
    return this.options;
  }

  get punishment(): number {
    return this.pid.current;
  }

  /** Prompts of pseudo-batch `step` (0-based): an epoch-wise shuffle of the training set, fixed by the seed. */
  pseudoBatchPrompts(step: number): PreparedPrompt[] {
    const n = this.prompts.length;
    const size = this.options.pseudoBatch;
    const out: PreparedPrompt[] = [];
    for (let i = step * size; i < (step + 1) * size; i++) {
      const epoch = Math.floor(i / n);
      out.push(this.prompts[this.epochOrder(epoch)[i % n]]);
    }
    return out;
  }

  private epochOrderCache = new Map<number, number[]>();

  private epochOrder(epoch: number): number[] {
    let order = this.epochOrderCache.get(epoch);
    if (!order) {
      const random = rng(this.options.seed * 7919 + epoch);
      order = Array.from({ length: this.prompts.length }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      this.epochOrderCache.set(epoch, order);
    }
    return order;
  }

  async step(): Promise<StepMetrics> {
    const started = performance.now();
    const { e, options } = this;
    const stepNumber = this.stepsDone + 1;
    const prompts = this.pseudoBatchPrompts(this.stepsDone);
    const punishment = options.objective === 'abft' ? this.pid.current : 0;
    zeroGrads(e, this.grads);
    const lossParts: Tensor<'f32'>[] = [];
    let tokens = 0;
    for (let start = 0; start < prompts.length; start += this.microBatch) {
      const micro = prompts.slice(start, start + this.microBatch);
      tokens += micro.reduce((s, p) => s + p.ids.length, 0);
      lossParts.push(options.objective === 'abft' ? this.abftMicroBatch(micro, punishment) : this.endToEndMicroBatch(micro));
    }
    const gradNormT = globalGradNorm(e, this.gradTensors());
    // The update is recorded before the loss is known and gated on the GPU, so the step waits for the
    // GPU once, at its end; a NaN or infinite loss or gradient leaves the weights and Adam's moments as they were.
    const nonFinite = flagNonFinite(e, [...lossParts, gradNormT]);
    const gradScale = options.objective === 'abft' ? 1 : 1 / prompts.length;
    this.optimizer.step(this.gradTensors(), { gradScale, skipIf: nonFinite });
    const read = await e.readAll<'f32'>([...lossParts, gradNormT]);
    for (const t of [...lossParts, gradNormT, nonFinite]) t.release();
    const parts = read.slice(0, -1);
    const gradNorm = read[read.length - 1][0];
    // The same test as the GPU's flag, so the host knows whether the update was applied.
    const badPart = parts.flatMap((p) => [...p]).find((v) => !Number.isFinite(v));
    if (badPart !== undefined || !Number.isFinite(gradNorm)) {
      this.optimizer.discardSkippedStep();
      throw new NonFiniteLossError(stepNumber, badPart !== undefined ? 'loss' : 'gradient norm', badPart ?? gradNorm);
    }

    let loss: number;
    let summary: ReturnType<typeof summarizeStats> | null = null;
    if (options.objective === 'abft') {
      const stats = concat(parts);
      summary = summarizeStats(stats, { batch: prompts.length, layers: this.model.spec.numLayers, heads: this.model.spec.numHeads }, options.abft);
      loss = summary.loss;
    } else {
      loss = concat(parts).reduce((s, v) => s + v, 0) / prompts.length;
    }
    this.stepsDone = stepNumber;
    const nextPunishment = options.objective === 'abft' ? this.pid.observe(summary!.passingHeads) : 0;
    const ms = performance.now() - started;
    return {
      step: stepNumber,
      loss,
      punishment,
      nextPunishment,
      passingHeads: summary?.passingHeads ?? 0,
      perLayerHead: summary?.perLayerHead ?? null,
      gradNorm,
      ms,
      tokens,
      tokensPerSecond: tokens / (ms / 1000),
    };
  }

  /** Forward to the last layer's attention, the ABFT loss, backward into the gradients; returns the stats. */
  private abftMicroBatch(prompts: readonly PreparedPrompt[], punishment: number): Tensor<'f32'> {
    const { e, model, options } = this;
    const batch = packBatch(prompts.map((p) => p.ids), 0);
    const tape = trainingForward(e, model.spec, model.weights, batch, { lossRows: lastTokenRows(batch), upTo: 'last-attention' });
    const labels = e.upload(labelMap(prompts, batch), [batch.B, batch.T], 'i32');
    const lengths = e.upload(batch.lengths, [batch.B], 'i32');
    const { probsGrad, stats } = abftLoss(e, tape.probs, labels, lengths, {
      ...options.abft,
      punishment,
      reward: options.abft.reward,
      k: options.k,
      batchSize: options.pseudoBatch,
    });
    backward(e, model.spec, model.weights, tape, { probsGrad }, this.grads);
    for (const t of [...tape.probs, ...probsGrad, labels, lengths]) t.release();
    return stats;
  }

  /**
   * Forward through the LM head, cross-entropy of the gold label, backward; returns the losses of
   * the logit rows. The gold label word's m tokens are teacher-forced: the prompt extended by the
   * first m - 1, the cross-entropy of token j at the row before it, summed over the word (m = 1 with
   * 'first', 'last' and single-token words: the prompt's last row, as the paper's baseline).
   */
  private endToEndMicroBatch(prompts: readonly PreparedPrompt[]): Tensor<'f32'> {
    const { e, model, options } = this;
    const fullVocabulary = options.endToEndVocabulary === 'full';
    const gold = prompts.map((p) => this.labels.tokens[p.gold]);
    const batch = packBatch(prompts.map((p, b) => [...p.ids, ...gold[b].slice(0, -1)]), 0);
    const P = Math.max(...gold.map((tokens) => tokens.length));
    const logitsRows = new Int32Array(batch.B * P);
    // -1 ignores a row: a shorter word's rows beyond its length repeat its last row and add nothing.
    const targets = new Int32Array(batch.B * P).fill(-1);
    prompts.forEach((p, b) => {
      for (let j = 0; j < P; j++) {
        logitsRows[b * P + j] = p.ids.length - 1 + Math.min(j, gold[b].length - 1);
        if (j < gold[b].length) targets[b * P + j] = fullVocabulary ? gold[b][j] : p.gold;
      }
    });
    const tape = trainingForward(e, model.spec, model.weights, batch, {
      lossRows: Int32Array.from(prompts, (p) => p.ids.length - 1),
      upTo: 'logits',
      logitsVocab: fullVocabulary ? undefined : Int32Array.from(singleTokenIds(this.labels)!),
      logitsRows,
    });
    const logits = tape.logits!;
    const V = logits.shape[2];
    const targetIds = e.upload(targets, [batch.B * P], 'i32');
    // 'sum' here and gradScale 1 / pseudo-batch in the optimizer: the mean over the whole pseudo-batch, not per micro-batch.
    const { loss, dLogits } = crossEntropy(e, logits.reshape([batch.B * P, V]), targetIds, { reduction: 'sum' });
    backward(e, model.spec, model.weights, tape, { logitsGrad: dLogits.reshape([batch.B, P, V]) }, this.grads);
    for (const t of [logits, targetIds, dLogits]) t.release();
    return loss as Tensor<'f32'>;
  }

  private gradTensors(): Tensor[] {
    return this.grads.entries.flatMap((g) => (g.bias ? [g.weight, g.bias] : [g.weight]));
  }

  state(): TrainerState {
    return { stepsDone: this.stepsDone, pid: this.pid.state(), adamStep: this.optimizer.stepCount };
  }

  /** The trained tensors in optimizer order, named after the weights they are. */
  trainables(): TrainableTensor[] {
    const { m, v } = this.optimizer.state();
    const names = this.grads.entries.flatMap((g) => {
      const base = `layers.${g.layer}.${g.which}`;
      return g.bias ? [`${base}.weight`, `${base}.bias`] : [`${base}.weight`];
    });
    return names.map((name, i) => ({ name, param: this.optimizer.params[i], m: m[i], v: v[i] }));
  }

  /** Continues from a checkpoint: Adam's moments and step, the PID and the step count (the weights are the caller's to write). */
  restore(state: TrainerRestore): void {
    this.optimizer.loadState(state.adam);
    this.pid.restore(state.pid);
    this.stepsDone = state.stepsDone;
  }

  release(): void {
    releaseGrads(this.grads);
    this.optimizer.release();
  }
}

/**
 * The end-to-end targets must fit: a word scored by several tokens needs the full vocabulary (a
 * softmax over the label words' ids has no meaning past their first token) and room in the context.
 */
function checkEndToEndTargets(model: LoadedModel, prompts: readonly PreparedPrompt[], options: TrainOptions, labels: LabelTargets): void {
  const longest = labels.tokens.reduce((best, ids, c) => (ids.length > labels.tokens[best].length ? c : best), 0);
  if (options.endToEndVocabulary === 'label-words' && !singleTokenIds(labels)) {
    throw new InputError(
      `The end-to-end baseline over the label words only ('label-words') takes one token per label word, but with label scoring '${labels.scoring}' ${quote(labels.words[longest])} is ${labels.tokens[longest].length} tokens; ` +
        `train over the full vocabulary, or score the labels by their first or last token (${LABEL_SCORING_CONTROL}).`,
    );
  }
  const max = model.spec.maxPositions;
  const tooLong = prompts.findIndex((p) => p.ids.length + labels.tokens[p.gold].length - 1 > max);
  if (tooLong >= 0) {
    const p = prompts[tooLong];
    throw new InputError(
      `Training prompt ${tooLong + 1} is ${p.ids.length} tokens, and its label word ${quote(labels.words[p.gold])} adds ${labels.tokens[p.gold].length - 1} more for the end-to-end target, more than the model's limit of ${max} positions; ` +
        `use fewer demonstrations (k), leave out long rows, or score the labels by their first or last token (${LABEL_SCORING_CONTROL}).`,
    );
  }
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
