import { describe, expect, it } from 'vitest';
import CLASSROOM_CONFIG from '../classroom/classroom-model.config.json';
import { parsePretrainConfig } from './config';
import { classroomRecipe, DEFAULT_RECIPE_EDITS, headScoreEvery } from './recipe';

describe("the app's pretraining recipe", () => {
  it('is the committed classroom config by default', () => {
    const recipe = classroomRecipe(DEFAULT_RECIPE_EDITS);
    expect(recipe.ok && recipe.config).toEqual(parsePretrainConfig(CLASSROOM_CONFIG, 'committed'));
    expect(recipe.ok && headScoreEvery(recipe.config)).toBe(12);
  });

  it('takes the steps and sequences per step typed, the warm-up keeping its share of the steps', () => {
    const recipe = classroomRecipe({ steps: ' 1000', batch: '8' });
    if (!recipe.ok) throw new Error(JSON.stringify(recipe.problems));
    expect(recipe.config).toMatchObject({ steps: 1000, batch: { sequences: 8, microBatch: 8 }, optimizer: { warmupSteps: 167, decaySteps: 5000, lr: 3e-3 }, model: { layers: 2, hidden: 64, heads: 4 } });
    expect(headScoreEvery(recipe.config)).toBe(10);
    const tiny = classroomRecipe({ steps: '3', batch: '4' });
    expect(tiny.ok && tiny.config.optimizer.warmupSteps).toBe(1);
    expect(tiny.ok && headScoreEvery(tiny.config)).toBe(1);
    const one = classroomRecipe({ steps: '1', batch: '1' });
    expect(one.ok && one.config.optimizer.warmupSteps).toBe(0);
  });

  it('names each value that cannot be used, as typed', () => {
    expect(classroomRecipe({ steps: '2.5', batch: '0' })).toEqual({
      ok: false,
      problems: {
        steps: 'Steps must be a whole number from 1 to 1,000,000; "2.5" is not.',
        batch: 'Sequences per step must be a whole number from 1 to 256; "0" is not.',
      },
    });
    expect(classroomRecipe({ steps: '', batch: '32' })).toEqual({ ok: false, problems: { steps: 'Steps must be a whole number from 1 to 1,000,000; "" is not.' } });
    expect(classroomRecipe({ steps: '10', batch: '1e3' })).toEqual({ ok: false, problems: { batch: 'Sequences per step must be a whole number from 1 to 256; "1e3" is not.' } });
  });
});
