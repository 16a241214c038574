/**
 * Pretraining from scratch in the Model step, in headless Chromium on SwiftShader: the classroom
 * recipe shown, a bad value named, a tiny run (few steps, 4 sequences a step) started over the
 * loaded classroom model, its loss chart, head grid and ETA line (and the software-adapter note)
 * appearing, Stop, the pretrained model then being the loaded one (and released in its turn by
 * the next run), and the typed values kept over a reload. Saves screenshots in test-results/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLASSROOM_MODEL } from '../src/classroom-model';
import { loadedSummary, waitForGpu } from './support/model-panel';
import { openOfflineApp } from './support/offline';
import { openStep } from './support/shell';
import { useHarness } from './support/harness';

const SHOTS = 'test-results';
const STEPS = 8;

const harness = useHarness();

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
});

describe('pretraining from scratch (SwiftShader)', () => {
  it('runs the classroom recipe with tiny values, charts it live, stops, and hosts the pretrained model', { timeout: 300_000 }, async () => {
    // Offline: pretraining needs nothing from outside. Tall, so the panel is screenshot whole, below the sticky header.
    const { context, outside, page, errors } = await openOfflineApp(harness.browser, harness.server.url, { viewport: { width: 1440, height: 1800 } });
    try {
      await openStep(page, 'Model');
      await page.getByRole('button', { name: 'Load the classroom model' }).click();
      await loadedSummary(page);
      const panel = page.getByTestId('pretrain');
      const recipe = panel.getByTestId('pretrain-recipe');
      expect(await recipe.innerText()).toMatch(/Llama, 2 layers × 4 heads, hidden 64, MLP 256/);
      expect(await panel.getByLabel('Steps', { exact: true }).inputValue()).toBe('1200');
      expect(await recipe.innerText()).toMatch(/layer 0 head 0 at each label, toward the words of its own line; layer 1 heads 0, 1, 2, 3 before a label/);
      expect(await panel.getByLabel('Sequences per step').inputValue()).toBe('32');
      // SwiftShader is a software adapter: said before any step.
      expect(await panel.getByTestId('pretrain-software').innerText()).toMatch(/is a software adapter: it runs the GPU's work on the CPU, so pretraining here is slow\./);

      await panel.getByLabel('Steps', { exact: true }).fill('2.5');
      expect(await panel.getByRole('alert').innerText()).toBe('Steps must be a whole number from 1 to 1,000,000; "2.5" is not.');
      expect(await panel.getByRole('button', { name: 'Start pretraining' }).isDisabled()).toBe(true);
      await panel.getByLabel('Steps', { exact: true }).fill(String(STEPS));
      await panel.getByLabel('Sequences per step').fill('4');
      expect(await recipe.innerText()).toMatch(/warm-up 1 step, cosine over 40 steps/);
      expect(await panel.getByText(`Starting releases the loaded model, ${CLASSROOM_MODEL.label}.`).isVisible()).toBe(true);

      const started = Date.now();
      await panel.getByRole('button', { name: 'Start pretraining' }).click();
      // The loaded model is released at once, and loading another is off while the run goes on.
      await page.getByTestId('model-summary').waitFor({ state: 'detached', timeout: 60_000 });
      expect(await page.getByRole('button', { name: 'Load the classroom model' }).isDisabled()).toBe(true);

      const grid = panel.getByTestId('pretrain-head-grid');
      await grid.locator('.score-cell').first().waitFor({ timeout: 120_000 });
      expect(await grid.locator('.score-cell').count()).toBe(CLASSROOM_MODEL.layers * CLASSROOM_MODEL.heads);
      const eta = panel.getByTestId('pretrain-eta');
      await eta.waitFor({ timeout: 200_000 });
      const etaLine = await eta.innerText();
      console.log(`Pretraining on SwiftShader, ${((Date.now() - started) / 1000).toFixed(1)} s to the ETA: ${etaLine}`);
      expect(etaLine).toMatch(new RegExp(`^\\d+(\\.\\d)? s per step on .+: the ${STEPS} steps would take about \\d+ (s|min); the phase change of this recipe came at steps 700-800 at 32 sequences a step, past this run's ${STEPS} steps\\.$`));
      expect(await panel.getByTestId('pretrain-software').innerText()).toMatch(new RegExp(`The ${STEPS} steps would take about \\d+ (s|min) here\\. You can still run it`));
      const loss = panel.getByTestId('pretrain-loss');
      await expect.poll(async () => Number(await loss.getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      await expect.poll(async () => Number(await panel.getByTestId('pretrain-head-chart').getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      expect(await panel.getByTestId('pretrain-status').innerText()).toMatch(new RegExp(`^Pretraining: step \\d of ${STEPS}, loss \\d+\\.\\d{3}\\.$`));
      await panel.screenshot({ path: join(SHOTS, 'pretrain-running.png') });

      await panel.getByRole('button', { name: 'Stop pretraining' }).click();
      const status = panel.getByTestId('pretrain-status');
      await expect.poll(() => status.innerText(), { timeout: 60_000 }).toMatch(/^Stopped after \d steps\. The model as pretrained is the loaded model now: explore its heads or fine-tune it\.$/);
      const stepsDone = Number(/^Stopped after (\d) steps/.exec(await status.innerText())![1]);
      expect(stepsDone).toBeGreaterThanOrEqual(3);
      expect(stepsDone).toBeLessThan(STEPS);
      expect(await page.getByTestId('model-summary').locator('h3').innerText()).toBe(`pretrained here from scratch (${stepsDone} of ${STEPS} steps)`);
      expect(Number(await grid.getAttribute('data-step'))).toBe(stepsDone);
      expect(await page.getByRole('button', { name: 'Load the classroom model' }).isDisabled()).toBe(false);
      await panel.screenshot({ path: join(SHOTS, 'pretrain-stopped.png') });
      await page.emulateMedia({ colorScheme: 'dark' });
      await panel.screenshot({ path: join(SHOTS, 'pretrain-stopped-dark.png') });
      await page.emulateMedia({ colorScheme: 'light' });

      // Again from scratch: the model pretrained a moment ago is released in its turn.
      await panel.getByRole('button', { name: 'Start pretraining' }).click();
      await page.getByTestId('model-summary').waitFor({ state: 'detached', timeout: 60_000 });
      await panel.getByRole('button', { name: 'Stop pretraining' }).click();
      await expect.poll(() => status.innerText(), { timeout: 120_000 }).toMatch(/^Stopped after \d steps\./);
      await page.getByTestId('model-summary').waitFor({ timeout: 30_000 });

      // The pretrained model answers in Explore, as a loaded model does.
      await panel.getByRole('button', { name: 'explore its heads' }).click();
      await page.locator('.step-view[data-step="explore"]').waitFor({ state: 'visible' });

      await page.reload();
      await waitForGpu(page);
      await openStep(page, 'Model');
      expect(await page.getByTestId('pretrain').getByLabel('Steps', { exact: true }).inputValue()).toBe(String(STEPS));
      expect(await page.getByTestId('pretrain').getByLabel('Sequences per step').inputValue()).toBe('4');
      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
