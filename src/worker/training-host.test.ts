/**
 * The worker's training host in Node (Dawn): a run that blows up, what it says, the weights it can
 * put back, and the run after. The model goes through the worker's own loading path (picked files).
 */
import { describe, expect, it } from 'vitest';
import { testEngine } from '../engine/testing/gpu';
import { loadModelFrom } from './model-host';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../train/options';
import type { TrainingData } from '../train/protocol';
import { NonFiniteLossError, type StepMetrics } from '../train/trainer';
import type { WorkerState } from './state';
import { nodeWorkerState, tinyModelSource } from './testing/node-state';
import { restorableWeights, restoreWeights, startTraining } from './training-host';

const DATA: TrainingData = { kind: 'synthetic', size: 64, seed: 1 };

function options(overrides: Partial<TrainOptions>): TrainOptions {
  return { ...DEFAULT_TRAIN_OPTIONS, abft: { ...DEFAULT_TRAIN_OPTIONS.abft, headFilter: 'none' }, pseudoBatch: 4, microBatch: 4, steps: 3, k: 2, ...overrides };
}

async function train(state: WorkerState, o: TrainOptions): Promise<{ losses: number[]; error: unknown }> {
  const losses: number[] = [];
  const e = await testEngine();
  try {
    await startTraining(state, e, { options: o, data: DATA }, (m: StepMetrics) => losses.push(m.loss));
    return { losses, error: null };
  } catch (error) {
    return { losses, error };
  }
}

describe('a run that blows up, in the worker', () => {
  it('says which weights it left, blames an earlier run rather than the next run\'s lr, and restores the weights from before it or as loaded', async () => {
    const e = await testEngine();
    const { state } = await nodeWorkerState();
    await loadModelFrom(state, e, { source: tinyModelSource(), signal: new AbortController().signal, onProgress: () => {}, onReleased: () => {} });
    expect(restorableWeights(state)).toEqual([]);

    const good = await train(state, options({ lr: 1e-2, steps: 2 }));
    expect(good.error).toBeNull();
    const blown = await train(state, options({ lr: 1e6, steps: 4 }));
    expect(blown.losses).toHaveLength(1);
    expect(blown.error).toBeInstanceOf(NonFiniteLossError);
    expect((blown.error as Error).message).toMatch(
      /^Training step 2: the loss is (Infinity|NaN), so the step was not applied\. The weights are now those after step 1, which this run's updates made unusable: the loss is no longer finite on them\. Restore the weights from before this run/,
    );
    expect(restorableWeights(state)).toEqual(['before-run', 'loaded']);

    // The next run, at a sane lr, fails at once on those weights: the message names the run that ruined them.
    const after = await train(state, options({ lr: 1e-2, steps: 2 }));
    expect(after.losses).toEqual([]);
    expect((after.error as Error).message).toMatch(/^Training step 1: the (loss|gradient norm) is (Infinity|NaN), so the step was not applied\. This run had not changed the weights yet, so its learning rate is not the cause: /);
    expect((after.error as Error).message).toContain(
      'the weights it started from were already ruined by the ABFT run with lr 1000000 (1 step, stopped by a non-finite loss at step 2). ' +
        "Restore the weights from before that run, or the model's loaded weights, then train again.",
    );
    expect((after.error as Error).message).not.toMatch(/lower (the )?learning rate/i);

    // Back to the weights from before the blown run: those the good run left, so a new good run goes on as from there.
    const restored = await restoreWeights(state, e, 'before-run');
    expect(restored.restored).toBe('the weights from before the ABFT run with lr 1000000 (1 step, stopped by a non-finite loss at step 2)');
    expect(restored.deltaNorms.some((n) => n.q > 0)).toBe(true);
    expect(restorableWeights(state)).toEqual(['loaded']);
    const again = await train(state, options({ lr: 1e-2, steps: 2 }));
    expect(again.error).toBeNull();
    expect(again.losses.every(Number.isFinite)).toBe(true);

    // Back to the loaded weights: the same losses as the first good run, bit for bit.
    const loaded = await restoreWeights(state, e, 'loaded');
    expect(loaded.restored).toBe("the model's loaded weights");
    expect(loaded.deltaNorms.every((n) => n.q === 0 && n.k === 0)).toBe(true);
    expect(restorableWeights(state)).toEqual([]);
    await expect(restoreWeights(state, e, 'loaded')).rejects.toThrow("The weights on the GPU are the model's as loaded; there is nothing to restore.");
    expect((await train(state, options({ lr: 1e-2, steps: 2 }))).losses).toEqual(good.losses);
  });
});
