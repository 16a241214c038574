/**
 * One pretraining step on the engine: for each micro-batch a forward recording the tape through
 * the embeddings, then the backward, which computes the next-token cross-entropy over every
 * position (model/next-token-loss.ts) and sums every weight's gradient; then one optimizer step
 * (clip, AdamW, scheduled rate: optimizer.ts) on the mean over all target tokens of the step.
 * With attention guides the tape also records every layer's α at every position, and each guide
 * adds its loss on α (attention-guidance.ts), averaged over its rows and heads of the whole step.
 * The model must be loaded with every weight f32 (frozenDTypeFor('all', ...) gives 'f32').
 */
import type { Engine } from '../engine/engine';
import { accumulateInto, flagNonFinite } from '../engine/ops/optimizer';
import type { Tensor } from '../engine/tensor';
import { contiguousRuns } from '../engine/tensor-group';
import { backward } from '../model/backward';
import { packBatch } from '../model/batch';
import { createTrainableGrads, releaseGrads, zeroGrads, type TrainableGrads } from '../model/grads';
import { countTargets, nextTokenTargets } from '../model/next-token-loss';
import type { ModelSpec, ModelWeights } from '../model/spec';
import { trainingForward } from '../model/training-forward';
import { attentionGuidance } from './attention-guidance';
import type { RowTargets } from './attention-targets';
import { PretrainOptimizer, type PretrainOptimizerOptions } from './optimizer';

/** A loss on one layer's attention: `weight` times the mean over the step's guided rows and `heads` of -log(mass on the targets). */
export interface AttentionGuide {
  readonly layer: number;
  readonly heads: readonly number[];
  readonly weight: number;
}

/** A guide with its targets in this step: one list per sequence. */
export interface GuideTargets extends AttentionGuide {
  readonly targets: readonly (readonly RowTargets[])[];
}

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
  /** Per guide, in the order given: its weighted loss (weight × mean -log mass), the term it adds to the objective. */
  readonly attentionLoss: readonly number[];
}

/** Sets targets[b * T + t] to -1 (ignored) where scored[b][t] is 0. Right padding: position t is the sequence's own. */
function dropUnscored(targets: Int32Array, T: number, scored: readonly ArrayLike<number>[]): void {
  scored.forEach((mask, b) => {
    for (let t = 0; t < T; t++) if (!(mask[t] ?? 0)) targets[b * T + t] = -1;
  });
}

/**
 * One micro-batch's gradient on α from its guides (targets and head weights of this micro-batch's
 * sequences): per layer the sum of its guides' dL/dα, zero where none guides it, and each guide's row losses.
 */
function guidanceGrads(
  e: Engine,
  probs: readonly Tensor[],
  batch: { readonly B: number; readonly T: number },
  guides: readonly (GuideTargets & { readonly headWeights: Float32Array })[],
): { probsGrad: Tensor[]; losses: Tensor[] } {
  const { B, T } = batch;
  const probsGrad = probs.map((p) => e.zeros(p.shape));
  const losses = guides.map((g) => {
    const mask = new Uint32Array(B * T * T);
    g.targets.forEach((rows, b) => {
      for (const { row, keys } of rows) for (const key of keys) mask[(b * T + row) * T + key] = 1;
    });
    const targets = e.upload(mask, [B, T, T], 'u32');
    const weights = e.upload(g.headWeights, [g.headWeights.length]);
    const out = attentionGuidance(e, probs[g.layer], targets, weights);
    accumulateInto(e, probsGrad[g.layer], out.probsGrad);
    for (const t of [targets, weights, out.probsGrad]) t.release();
    return out.loss;
  });
  return { probsGrad, losses };
}

function total(arrays: readonly ArrayLike<number>[]): number {
  let s = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) s += a[i];
  return s;
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
   * With `guides`, each adds its loss on attention.
   */
  async step(sequences: readonly (readonly number[])[], scored?: readonly ArrayLike<number>[], guides: readonly GuideTargets[] = []): Promise<PretrainStepResult> {
    if (sequences.length === 0) throw new Error('Pretrainer.step: no sequences');
    if (scored && scored.length !== sequences.length) throw new Error(`Pretrainer.step: scored has ${scored.length} entries for ${sequences.length} sequences`);
    for (const g of guides) this.checkGuide(g, sequences.length);
    const { e, spec, weights } = this;
    const micro = this.options.microBatch;
    const batches = [];
    let tokens = 0;
    for (let first = 0; first < sequences.length; first += micro) {
      const batch = packBatch(sequences.slice(first, first + micro), this.options.padId, { maxLength: spec.maxPositions });
      const targets = nextTokenTargets(batch);
      if (scored) dropUnscored(targets, batch.T, scored.slice(first, first + micro));
      tokens += countTargets(targets);
      batches.push({ first, batch, targets });
    }
    if (tokens === 0) throw new Error('Pretrainer.step: no sequence has two tokens, so there is nothing to predict');
    // The optimizer divides every gradient by the step's target tokens; the head weights carry that factor, so each
    // guide's term stays its weight times its mean over the step's rows and heads.
    const headWeights = guides.map((g) => {
      const rows = g.targets.reduce((n, t) => n + t.length, 0);
      const w = new Float32Array(spec.numHeads);
      for (const h of g.heads) w[h] = rows > 0 ? (g.weight * tokens) / (rows * g.heads.length) : 0;
      return w;
    });

    zeroGrads(e, this.grads);
    const losses: Tensor[] = [];
    const guideLosses: Tensor[][] = guides.map(() => []);
    for (const { first, batch, targets } of batches) {
      const { B, T } = batch;
      const attentionRows = guides.length > 0 ? Int32Array.from({ length: B * T }, (_, i) => i % T) : undefined;
      const tape = trainingForward(e, spec, weights, batch, { upTo: 'next-token', throughEmbeddings: true, nextTokenTargets: targets, attentionRows });
      const guided = guides.length > 0 ? guidanceGrads(e, tape.probs, batch, guides.map((g, k) => ({ ...g, targets: g.targets.slice(first, first + B), headWeights: headWeights[k] }))) : null;
      guided?.losses.forEach((l, k) => guideLosses[k].push(l));
      const probsGrad = guided?.probsGrad;
      losses.push(backward(e, spec, weights, tape, { probsGrad }, this.grads).nextTokenLoss!);
      for (const t of [...tape.probs, ...(probsGrad ?? [])]) t.release();
    }
    // A NaN or infinite gradient (a diverging run) must not reach the weights: the update is gated on the GPU.
    const nonFinite = flagNonFinite(e, contiguousRuns(this.grads.params.map((p) => p.grad), e.storageAlignment).map((r) => r.range));
    const { lr, gradNorm } = this.optimizer.step(1 / tokens, nonFinite);
    // Read back after the update is recorded, with one wait: the step is one submission.
    const guideFlat = guideLosses.flat();
    const [flag, norm, ...parts] = await e.readAll([nonFinite, gradNorm, ...losses, ...guideFlat]);
    const lossParts = parts.slice(0, losses.length);
    let at = losses.length;
    const attentionLoss = guideLosses.map((list) => total(parts.slice(at, (at += list.length))) / tokens);
    const skipped = flag[0] !== 0;
    for (const t of [nonFinite, gradNorm, ...losses, ...guideFlat]) t.release();
    if (skipped) this.optimizer.discardSkippedStep();
    return { loss: total(lossParts) / tokens, lr, gradNorm: norm[0], tokens, skipped, attentionLoss };
  }

  private checkGuide(g: GuideTargets, count: number): void {
    const { spec } = this;
    if (!Number.isInteger(g.layer) || g.layer < 0 || g.layer >= spec.numLayers) throw new Error(`Pretrainer.step: a guide's layer ${g.layer} is not a layer of this ${spec.numLayers}-layer model`);
    const bad = g.heads.find((h) => !Number.isInteger(h) || h < 0 || h >= spec.numHeads);
    if (bad !== undefined || g.heads.length === 0) throw new Error(`Pretrainer.step: a guide's heads [${g.heads.join(', ')}] must be some of the ${spec.numHeads} heads (0..${spec.numHeads - 1})`);
    if (g.targets.length !== count) throw new Error(`Pretrainer.step: a guide has targets for ${g.targets.length} sequences, the step has ${count}`);
  }

  release(): void {
    this.optimizer.release();
    releaseGrads(this.grads);
  }
}
