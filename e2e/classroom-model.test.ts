/**
 * The classroom model for a returning user, in headless Chromium on SwiftShader: with no network,
 * the Model step's button loads the shipped classroom model, its card puts its task (a family held
 * out of its pretraining) into Data, and Evaluate shows the model answering from the demonstrations
 * above chance (two classes). The first open, which does this by itself, is e2e/first-open.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { HELD_OUT_FAMILIES } from '../src/classroom/families';
import { CLASSROOM_MODEL } from '../src/classroom-model';
import { openOfflineApp } from './support/offline';
import { openStep } from './support/shell';
import { useHarness } from './support/harness';

/** The model's task: a family held out of pretraining, which it still answers above chance (its card: 0.695). */
const HELD_OUT = CLASSROOM_MODEL.dataset.replace('classroom/', '');

const harness = useHarness();

describe('the classroom model, offline (SwiftShader)', () => {
  it('loads with no network, and answers a held-out task above chance', { timeout: 240_000 }, async () => {
    const { context, outside, page, errors } = await openOfflineApp(harness.browser, harness.server.url, { viewport: { width: 1440, height: 1000 } });
    try {
      await openStep(page, 'Model');
      await page.getByRole('button', { name: 'Load the classroom model' }).click();
      await page.getByTestId('model-summary').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('model-summary').locator('h3').innerText()).toBe(CLASSROOM_MODEL.label);
      expect(await page.getByTestId('model-layers').innerText()).toBe(String(CLASSROOM_MODEL.layers));
      await page.getByRole('button', { name: 'Use its task (replaces the data)' }).click();
      expect(await page.getByRole('button', { name: 'Its task is in use' }).isDisabled()).toBe(true);
      await page.getByTestId('classroom-model').screenshot({ path: 'test-results/classroom-model-card.png' });
      expect(HELD_OUT_FAMILIES.map((f) => f.id)).toContain(HELD_OUT);
      await openStep(page, 'Data');
      await expect.poll(() => page.getByTestId('dataset-name').innerText()).toBe(`Classroom: ${HELD_OUT}`);

      await openStep(page, 'Train');
      await page.getByLabel('Test queries (evaluation)').fill('32');
      const measures = page.getByRole('group', { name: 'Evaluation measures' });
      for (const box of await measures.getByRole('checkbox').all()) if (await box.isChecked()) await box.uncheck();
      await measures.getByRole('checkbox').first().check();
      const started = Date.now();
      await page.getByRole('button', { name: /^Evaluat/ }).click();
      const accuracy = page.getByTestId('evaluation').locator('tbody tr[data-measure="accuracy"] td').first();
      await accuracy.waitFor({ timeout: 200_000 });
      const text = await accuracy.innerText();
      console.log(`Classroom model, held-out task classroom/${HELD_OUT}: accuracy ${text} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const share = Number(/^(\d+(\.\d)?)%/.exec(text)![1]) / 100;
      expect(share).toBeGreaterThan(0.55);
      await page.getByTestId('train-panel').locator('.evaluation').screenshot({ path: 'test-results/classroom-model-evaluation.png' });
      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
