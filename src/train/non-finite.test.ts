import { describe, expect, it } from 'vitest';
import { describeRun, explainNonFinite } from './non-finite';
import { NonFiniteLossError } from './trainer';

const context = { lr: 0.5, afterThisRun: 'Restore the weights from before this run.', afterEarlier: 'Restore the model\'s loaded weights.' };

describe('explainNonFinite', () => {
  it('blames the learning rate only when this run has changed the weights', () => {
    const error = new NonFiniteLossError(3, 'loss', Infinity);
    expect(explainNonFinite(error, { ...context, runSteps: 2, earlier: null }).message).toBe(
      'Training step 3: the loss is Infinity, so the step was not applied. The weights are now those after step 2, which this run\'s updates made unusable: ' +
        'the loss is no longer finite on them. Restore the weights from before this run. Train again from the weights before this run with a lower learning rate than 0.5.',
    );
  });

  it('names the earlier run when the first step fails on weights it left', () => {
    const earlier = describeRun({ objective: 'abft', lr: 1e6 }, 1, 2);
    const message = explainNonFinite(new NonFiniteLossError(1, 'gradient norm', NaN), { ...context, runSteps: 0, earlier }).message;
    expect(message).toBe(
      'Training step 1: the gradient norm is NaN, so the step was not applied. This run had not changed the weights yet, so its learning rate is not the cause: ' +
        'the weights it started from were already ruined by the ABFT run with lr 1000000 (1 step, stopped by a non-finite loss at step 2). Restore the model\'s loaded weights.',
    );
  });

  it('points at the prompts and the model when the loaded weights themselves fail', () => {
    const message = explainNonFinite(new NonFiniteLossError(1, 'loss', NaN), { ...context, runSteps: 0, earlier: null }).message;
    expect(message).toContain('The step ran on the model\'s weights as loaded, before any update, so the learning rate is not the cause: check the prompts');
    expect(message).not.toContain('lower learning rate');
  });
});
