/**
 * What a non-finite training step says, from what the weights it ran on are. A step's loss is
 * computed before its update, so the learning rate can only be the cause once the run itself has
 * changed the weights: on weights as loaded, or as an earlier run left them, it never is.
 */
import type { TrainOptions } from './options';
import { NonFiniteLossError } from './trainer';

export interface NonFiniteContext {
  /** Steps this run applied before the one that failed. */
  readonly runSteps: number;
  readonly lr: number;
  /** The training that made the weights this run started from, in words ("the earlier run (…)"); null when they are the model's as loaded. */
  readonly earlier: string | null;
  /** What to do when this run's updates ruined the weights, in the words of the app or the command line. */
  readonly afterThisRun: string | null;
  /** What to do when an earlier run had ruined them. */
  readonly afterEarlier: string;
}

export function explainNonFinite(error: NonFiniteLossError, c: NonFiniteContext): NonFiniteLossError {
  const lastGood = error.step - 1;
  const explanation =
    c.runSteps > 0
      ? [
          `The weights are now those after step ${lastGood}, which this run's updates made unusable: the loss is no longer finite on them.`,
          c.afterThisRun,
          `Train again from the weights before this run with a lower learning rate than ${c.lr}.`,
        ]
          .filter((sentence) => sentence)
          .join(' ')
      : c.earlier
        ? `This run had not changed the weights yet, so its learning rate is not the cause: the weights it started from were already ruined by ${c.earlier}. ${c.afterEarlier}`
        : 'The step ran on the model\'s weights as loaded, before any update, so the learning rate is not the cause: check the prompts (very long prompts or unusual tokens) and the model\'s weights.';
  return new NonFiniteLossError(error.step, error.what, error.value, explanation);
}

/** A run in words, for messages that name it: "the ABFT run with lr 1000000 (1 step, stopped by a non-finite loss at step 2)". */
export function describeRun(options: Pick<TrainOptions, 'objective' | 'lr'>, steps: number, failedAtStep: number | null): string {
  const what = options.objective === 'abft' ? 'ABFT' : 'end-to-end';
  const stepsText = `${steps} step${steps === 1 ? '' : 's'}`;
  return `the ${what} run with lr ${options.lr} (${stepsText}${failedAtStep === null ? '' : `, stopped by a non-finite loss at step ${failedAtStep}`})`;
}
