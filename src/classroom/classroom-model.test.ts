/**
 * The committed classroom model (public/classroom-model/) really does in-context learning, and its
 * model card says what it measures: every task's accuracy as `abft eval` computes it now equals
 * the card's, and is far above chance (0.5, two classes) on the tasks it learned in pretraining
 * and clearly above it on some held out of pretraining.
 */
import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runAbft } from '../cli/testing/run-abft';
import { FAMILIES } from './families';

const MODEL = 'public/classroom-model';

async function accuracy(family: string): Promise<number> {
  const r = await runAbft('eval', '--model', MODEL, '--data', `classroom/${family}`, '--queries', '64', '--measures', 'test');
  expect(r.code).toBe(0);
  return JSON.parse(r.out.at(-1)!).report.test.accuracy;
}

describe('the classroom model', () => {
  it('is small enough to commit and carries its model card', async () => {
    expect((await stat(`${MODEL}/model.safetensors`)).size).toBeLessThan(5 * 2 ** 20);
    const card = JSON.parse(await readFile(`${MODEL}/model-card.json`, 'utf8'));
    expect(card.lossCurve.length).toBeGreaterThan(2);
    expect(card.tokensSeen).toBeGreaterThan(0);
  });

  it('answers from the demonstrations: the accuracy the card states on every task, far above chance where it learned, above it on held-out tasks', async () => {
    const card = JSON.parse(await readFile(`${MODEL}/model-card.json`, 'utf8'));
    const measured: Record<string, number> = {};
    for (const family of FAMILIES) {
      measured[family.id] = await accuracy(family.id);
      // The same prompts every run: the engine on another adapter may differ only in rounding.
      expect(Math.abs(measured[family.id] - card.iclAccuracy.byFamily[family.id].accuracy)).toBeLessThanOrEqual(2 / 128);
    }
    console.log(`classroom model accuracy (2 classes, k = 4, 128 prompts): ${JSON.stringify(measured)}`);
    expect(measured['word-alone']).toBeGreaterThan(0.85);
    expect(measured['category-all']).toBeGreaterThan(0.85);
    // Held out of pretraining (card: 0.695), and well below its ceiling (about 0.97: a query's key is missing from its 4 demonstrations in 1 prompt in 16).
    expect(measured['category-in-filler']).toBeGreaterThan(0.6);
    expect(measured['category-in-filler']).toBeLessThan(0.85);
  });
});
