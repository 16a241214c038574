/**
 * The pretraining loop of a config, one attempt at a time, shared by `abft pretrain` and the app's
 * worker so both train the same way: each attempt draws the next sequences of the classroom corpus
 * (a skipped step's batch is not retried), scores the positions the config's loss counts, points
 * its attention guides at their targets, and runs one Pretrainer step; a run of non-finite gradients ends the run as diverged. The caller decides
 * what to log, when to evaluate (`evalDue`) and where the weights go.
 */
import { corpusChunk, type CorpusOptions } from '../classroom/corpus';
import { familyById } from '../classroom/families';
import { IDS } from '../classroom/vocabulary';
import type { Engine } from '../engine/engine';
import type { LoadedModel } from '../model/load';
import type { PretrainConfig } from './config';
import { withoutPadding } from './icl-eval';
import { guidanceTargets } from './attention-targets';
import { scoredPositions } from './scored-positions';
import { Pretrainer, type PretrainStepResult } from './step';

/** Consecutive steps with a non-finite gradient after which the run stops: it has diverged. */
export const MAX_SKIPPED_IN_A_ROW = 5;

export type PretrainAttempt =
  | { readonly kind: 'step'; readonly step: number; readonly result: PretrainStepResult; readonly tokensSeen: number; readonly ms: number }
  /** The gradient was not finite: no weight changed. `diverged` says why the run must end, or is null while it may go on. */
  | { readonly kind: 'skipped'; readonly step: number; readonly loss: number; readonly diverged: string | null };

/** The training corpus of the config: its seed, length and families. */
export function trainingCorpus(config: PretrainConfig): CorpusOptions {
  return { seed: config.corpus.seed, length: config.corpus.length, families: config.corpus.families.map(familyById) };
}

/** Whether the config measures ICL after step `step` (0: before the first): every `eval.every` steps, and at the last. */
export function evalDue(config: PretrainConfig, step: number): boolean {
  if (step === config.steps) return true;
  return config.eval.every > 0 && step % config.eval.every === 0;
}

export class PretrainLoop {
  readonly trainer: Pretrainer;
  private readonly corpus: CorpusOptions;
  private drawn = 0;
  private skippedInARow = 0;
  private tokens = 0;

  constructor(
    e: Engine,
    model: LoadedModel,
    private readonly config: PretrainConfig,
  ) {
    const o = config.optimizer;
    this.trainer = new Pretrainer(e, model.spec, model.weights, {
      optimizer: {
        schedule: { peakLr: o.lr, warmupSteps: o.warmupSteps, totalSteps: o.decaySteps, minLr: o.minLr },
        beta1: o.beta1,
        beta2: o.beta2,
        eps: 1e-8,
        weightDecay: o.weightDecay,
        maxGradNorm: o.clip > 0 ? o.clip : undefined,
      },
      microBatch: config.batch.microBatch,
      padId: IDS.pad,
    });
    this.corpus = trainingCorpus(config);
  }

  /** Steps applied so far. */
  get stepsDone(): number {
    return this.trainer.stepCount;
  }

  /** Target tokens of the applied steps. */
  get tokensSeen(): number {
    return this.tokens;
  }

  get finished(): boolean {
    return this.trainer.stepCount >= this.config.steps;
  }

  async attempt(): Promise<PretrainAttempt> {
    const { config } = this;
    const chunk = corpusChunk(this.corpus, this.drawn, config.batch.sequences);
    const first = this.drawn;
    this.drawn += config.batch.sequences;
    const sequences = Array.from({ length: chunk.count }, (_, i) => withoutPadding(chunk.tokens.subarray(i * chunk.length, (i + 1) * chunk.length)));
    const scored = config.loss.otherTokens < 1 ? sequences.map((_, i) => scoredPositions(chunk, i, config.loss.otherTokens, config.corpus.seed, first + i)) : undefined;
    const t0 = performance.now();
    const guides = config.loss.attention.map((g) => ({ ...g, targets: sequences.map((_, i) => guidanceTargets(chunk, i, g.toward)) }));
    const result = await this.trainer.step(sequences, scored, guides);
    const ms = performance.now() - t0;
    if (result.skipped) {
      this.skippedInARow++;
      const diverged =
        this.skippedInARow >= MAX_SKIPPED_IN_A_ROW
          ? `${MAX_SKIPPED_IN_A_ROW} steps in a row had a non-finite gradient after step ${this.trainer.stepCount}; the run diverged. Lower optimizer.lr or keep optimizer.clip on.`
          : null;
      return { kind: 'skipped', step: this.trainer.stepCount + 1, loss: result.loss, diverged };
    }
    this.skippedInARow = 0;
    this.tokens += result.tokens;
    return { kind: 'step', step: this.trainer.stepCount, result, tokensSeen: this.tokens, ms };
  }

  release(): void {
    this.trainer.release();
  }
}
