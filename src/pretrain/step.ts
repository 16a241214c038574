/**
 * One pretraining step on the engine: for each micro-batch a forward recording the tape through
 * the embeddings, then the backward, which computes the next-token cross-entropy over every
 * position (model/next-token-loss.ts) and sums every weight's gradient; then one optimizer step
 * (clip, AdamW, scheduled rate: optimizer.ts) on the mean over all target tokens of the step.
 * The model must be loaded with every weight f32 (frozenDTypeFor('all', ...) gives 'f32').
 */
import type { Engine } from '../engine/engine';
import { flagNonFinite } from '../engine/ops/optimizer';
import type { Tensor } from '../engine/tensor';
import { contiguousRuns } from '../engine/tensor-group';
import { backward } from '../model/backward';
import { packBatch } from '../model/batch';
import { createTrainableGrads, releaseGrads, zeroGrads, type TrainableGrads } from '../model/grads';
import { countTargets, nextTokenTargets } from '../model/next-token-loss';
import type { ModelSpec, ModelWeights } from '../model/spec';
import { trainingForward } from '../model/training-forward';
import { PretrainOptimizer, type PretrainOptimizerOptions } from './optimizer';

export interface PretrainerOptions {
  readonly optimizer: PretrainOptimizerOptions;
  /** Sequences run on the GPU together; a step's sequences are split into micro-batches of this size. */
  readonly microBatch: number;
  /** The id padding shorter sequences of a micro-batch (never a target, never attended to). */
  readonly padId: number;
}

export interface PretrainStepResult {
  /** The mean next-token cross-entropy over the step's target tokens, before the update. */
  readonly loss: number;
  /** The rate the update used. */
  readonly lr: number;
  /** The global norm of the mean gradient, before clipping. */
  readonly gradNorm: number;
  /** Target tokens (positions with a next token) the loss averages over. */
  readonly tokens: number;
  /** A gradient was NaN or infinite: no weight changed, and the step (and schedule) did not count. */
  readonly skipped: boolean;
}

/** Sets targets[b * T + t] to -1 (ignored) where scored[b][t] is 0. Right padding: position t is the sequence's own. */
function dropUnscored(targets: Int32Array, T: number, scored: readonly ArrayLike<number>[]): void {
  scored.forEach((mask, b) => {
    for (let t = 0; t < T; t++) if (!(mask[t] ?? 0)) targets[b * T + t] = -1;
  });
}

export class Pretrainer {
  readonly grads: TrainableGrads;
  private readonly optimizer: PretrainOptimizer;

  constructor(
    private readonly e: Engine,
    private readonly spec: ModelSpec,
    private readonly weights: ModelWeights,
    private readonly options: PretrainerOptions,
  ) {
    if (!Number.isInteger(options.microBatch) || options.microBatch < 1) throw new Error(`Pretrainer: microBatch is ${options.microBatch}, expected a whole number >= 1`);
    this.grads = createTrainableGrads(e, spec, weights, 'all');
    this.optimizer = new PretrainOptimizer(e, this.grads.params, options.optimizer);
  }

  get stepCount(): number {
    return this.optimizer.stepCount;
  }

  /** The optimizer, for its state (checkpoints) and schedule. */
  get adamW(): PretrainOptimizer {
    return this.optimizer;
  }

  /**
   * One optimizer step on `sequences` (token ids, each at least 2 tokens, at most the model's
   * positions). With `scored`, one entry per sequence: position t's next token counts in the loss
   * only where scored[b][t] is non-zero (a loss weighted towards some tokens, by sampling the rest).
   */
  async step(sequences: readonly (readonly number[])[], scored?: readonly ArrayLike<number>[]): Promise<PretrainStepResult> {
    if (sequences.length === 0) throw new Error('Pretrainer.step: no sequences');
    if (scored && scored.length !== sequences.length) throw new Error(`Pretrainer.step: scored has ${scored.length} entries for ${sequences.length} sequences`);
    const { e, spec, weights } = this;
    zeroGrads(e, this.grads);
    const losses: Tensor[] = [];
    let tokens = 0;
    for (let first = 0; first < sequences.length; first += this.options.microBatch) {
      const batch = packBatch(sequences.slice(first, first + this.options.microBatch), this.options.padId, { maxLength: spec.maxPositions });
      const targets = nextTokenTargets(batch);
      if (scored) dropUnscored(targets, batch.T, scored.slice(first, first + this.options.microBatch));
      tokens += countTargets(targets);
      const tape = trainingForward(e, spec, weights, batch, { upTo: 'next-token', throughEmbeddings: true, nextTokenTargets: targets });
      losses.push(backward(e, spec, weights, tape, {}, this.grads).nextTokenLoss!);
    }
    if (tokens === 0) throw new Error('Pretrainer.step: no sequence has two tokens, so there is nothing to predict');
    // A NaN or infinite gradient (a diverging run) must not reach the weights: the update is gated on the GPU.
    const nonFinite = flagNonFinite(e, contiguousRuns(this.grads.params.map((p) => p.grad), e.storageAlignment).map((r) => r.range));
    const { lr, gradNorm } = this.optimizer.step(1 / tokens, nonFinite);
    // Read back after the update is recorded, with one wait: the step is one submission.
    const [flag, norm, ...parts] = await e.readAll([nonFinite, gradNorm, ...losses]);
    let sum = 0;
    for (const part of parts) for (const v of part) sum += v;
    const skipped = flag[0] !== 0;
    for (const t of [nonFinite, gradNorm, ...losses]) t.release();
    if (skipped) this.optimizer.discardSkippedStep();
    return { loss: sum / tokens, lr, gradNorm: norm[0], tokens, skipped };
  }

  release(): void {
    this.optimizer.release();
    releaseGrads(this.grads);
  }
}
