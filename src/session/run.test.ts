/**
 * The run pipeline both front ends call, on a tiny model in Node (Dawn): the prompts it sets up
 * are those of one plain preparePrompts call (its chunks change nothing, the numbers in its
 * messages count on across chunks), and the step loop ends as its hooks and the loss say.
 */
import { describe, expect, it } from 'vitest';
import { preparePrompts } from '../abft/prepared';
import { templateOf } from '../abft/prompts';
import { syntheticPrompt, syntheticSentiment } from '../data/synthetic';
import { testEngine } from '../engine/testing/gpu';
import { releaseModel } from '../model/load';
import { loadTinyModel } from '../model/testing/tiny-loaded';
import { dataFingerprint } from '../train/checkpoint';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../train/options';
import { preparePromptSet, trainingDraws } from './prompt-sets';
import { createRun, trainRun } from './run';

const rows = syntheticSentiment({ size: 64, seed: 5 }).rows;
const template = templateOf(syntheticPrompt(2));
const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, abft: { ...DEFAULT_TRAIN_OPTIONS.abft, headFilter: 'none' }, pseudoBatch: 4, microBatch: 4, steps: 3, k: 2, lr: 1e-2 };

describe('createRun and trainRun', () => {
  it('set up the prompts of one preparePrompts call, and step until done, stopped or a non-finite loss', async () => {
    const e = await testEngine();
    const { model } = await loadTinyModel(e, 'llama');
    try {
      const setup = { rows, template, options, promptCount: 40, fingerprintNote: 'note' };
      const run = await createRun(e, model, setup);
      const draws = trainingDraws({ rows, template }, options, 40);
      expect(run.prompts).toEqual(preparePrompts(model.tokenizer!, template, draws, { maxPositions: model.spec.maxPositions, what: 'training prompt' }));
      expect(run.fingerprint).toBe(await dataFingerprint(rows, template, 'note'));

      // A prompt past the first chunk is named by its place in the whole set.
      const long = [...draws.slice(0, 19), { ...draws[19], query: { text: 'word '.repeat(2000), label: 0 } }];
      await expect(preparePromptSet(model, template, long, 'training prompt', options.labelScoring)).rejects.toThrow(/training prompt 20\b/);

      let asked = 0;
      const seen: number[] = [];
      expect(await trainRun(run, { proceed: async () => ++asked <= 2, afterStep: (m) => void seen.push(m.step) })).toEqual({ outcome: 'stopped' });
      expect(seen).toEqual([1, 2]);
      expect(await trainRun(run)).toEqual({ outcome: 'done' });
      expect(run.trainer.steps).toBe(3);
      run.trainer.release();

      const blown = await createRun(e, model, { ...setup, options: { ...options, lr: 1e6, steps: 5 } });
      const end = await trainRun(blown);
      expect(end.outcome).toBe('non-finite');
      // The step that blew up was not applied.
      expect(end.outcome === 'non-finite' && end.error.step).toBe(blown.trainer.steps + 1);
      blown.trainer.release();
    } finally {
      releaseModel(model);
    }
  });

  it('trains a Gemma 3 model (sliding-window layers, post-norms, GeGLU) to its last step with a finite, falling loss', async () => {
    const e = await testEngine();
    const { model } = await loadTinyModel(e, 'gemma3');
    try {
      const run = await createRun(e, model, { rows, template, options: { ...options, steps: 4 }, promptCount: 16, fingerprintNote: 'note' });
      const losses: number[] = [];
      expect(await trainRun(run, { afterStep: (m) => void losses.push(m.loss) })).toEqual({ outcome: 'done' });
      expect(losses).toHaveLength(4);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[3]).toBeLessThan(losses[0]);
      run.trainer.release();
    } finally {
      releaseModel(model);
    }
  });
});
