/**
 * A new user's first open, offline, in headless Chromium on SwiftShader: the app loads the shipped
 * classroom model and its task by itself, the Train step holds settings made for it, and one press
 * of Start training runs ABFT with heads passing the filter, a loss that falls and accuracy after
 * above before, every chart drawn. The explorer then shows the model's induction heads: the query's
 * last token attends to the demonstrations' labels. A reload keeps the task and loads nothing over it.
 *
 * The run's time is printed (README, "ABFT on the classroom model"), not asserted: speed is measured, not tested.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CLASSROOM_MODEL } from '../src/classroom-model';
import { classroomPresetData } from '../src/data/classroom-presets';
import { waitForGpu } from './support/model-panel';
import { openOfflineApp } from './support/offline';
import { openStep } from './support/shell';
import { useHarness } from './support/harness';

const harness = useHarness();

const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;
const percent = (text: string) => Number(/(\d+(\.\d+)?)%/.exec(text)![1]) / 100;

/** The finished run's report, as its JSON button downloads it. */
async function runReport(page: Page): Promise<{ steps: { loss: number; passingHeads: number; ms: number }[]; evaluationBefore: { test: { accuracy: number } }; evaluationAfter: { test: { accuracy: number } } }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId('run-row').first().getByRole('button', { name: 'JSON' }).click()]);
  return JSON.parse(await readFile((await file.path())!, 'utf8'));
}

describe('first open, offline (SwiftShader)', () => {
  it('loads the classroom model and its task, and the default ABFT run raises its accuracy', { timeout: 600_000 }, async () => {
    const { context, outside, page, errors } = await openOfflineApp(harness.browser, harness.server.url, { viewport: { width: 1440, height: 1000 }, acceptDownloads: true }, 'new');
    try {
      const summary = page.getByTestId('model-summary');
      await summary.waitFor({ timeout: 90_000 });
      expect(await summary.locator('h3').innerText()).toBe(CLASSROOM_MODEL.label);
      expect(await page.getByRole('button', { name: 'Its task is in use' }).isDisabled()).toBe(true);
      await page.getByTestId('model-panel').screenshot({ path: 'test-results/first-open-model.png' });

      // The card says where to go next, and takes the user there.
      await page.getByTestId('classroom-model-next').getByRole('button', { name: 'Train' }).click();
      expect(await page.getByRole('navigation', { name: 'Steps' }).locator('[aria-current="step"]').innerText()).toContain('Train');
      const task = classroomPresetData(CLASSROOM_MODEL.dataset).preset.name;
      expect(await page.getByTestId('train-data').innerText()).toContain(`Classroom: ${task}`);
      const { training } = CLASSROOM_MODEL;
      expect(Number(await page.getByLabel('Learning rate').inputValue())).toBe(training.lr);
      expect(Number(await page.getByLabel('Training steps').inputValue())).toBe(training.steps);
      expect(Number(await page.getByLabel('Pseudo-batch (prompts per step)').inputValue())).toBe(training.pseudoBatch);

      const started = Date.now();
      await page.getByRole('button', { name: 'Start training' }).click();
      const progress = page.getByTestId('training-progress');
      // Mid-run: the evaluation before, then the first steps on the charts.
      await expect.poll(() => page.getByTestId('chart-loss').getAttribute('data-points'), { timeout: 300_000, interval: 1000 }).toMatch(/^([4-9]|\d\d)$/);
      await page.getByTestId('train-panel').screenshot({ path: 'test-results/first-open-training.png' });
      await expect.poll(() => progress.getAttribute('data-state'), { timeout: 540_000, interval: 1000 }).toBe('done');
      const seconds = (Date.now() - started) / 1000;

      const report = await runReport(page);
      const before = report.evaluationBefore.test.accuracy;
      const after = report.evaluationAfter.test.accuracy;
      const losses = report.steps.map((s) => s.loss);
      const quarter = Math.max(1, Math.floor(losses.length / 4));
      const [first, last] = [mean(losses.slice(0, quarter)), mean(losses.slice(-quarter))];
      console.log(
        `First-open default run on ${CLASSROOM_MODEL.dataset} (${training.steps} steps × ${training.pseudoBatch} prompts, lr ${training.lr}, ${training.testQueries} test queries): ` +
          `${seconds.toFixed(0)} s, of which ${(report.steps.reduce((t, s) => t + s.ms, 0) / 1000).toFixed(0)} s in the steps and the rest in the evaluations before and after; accuracy ${before.toFixed(3)} -> ${after.toFixed(3)}; loss ${first.toFixed(3)} -> ${last.toFixed(3)} (first and last quarter); ` +
          `passing heads ${Math.min(...report.steps.map((s) => s.passingHeads)).toFixed(2)} at least`,
      );
      expect(report.steps).toHaveLength(training.steps);
      for (const step of report.steps) expect(step.passingHeads).toBeGreaterThan(0);
      expect(last).toBeLessThan(first);
      expect(after).toBeGreaterThan(before);
      // What the charts say is what the report says.
      for (const chart of ['chart-loss', 'chart-punishment', 'chart-passing']) await expect.poll(() => page.getByTestId(chart).getAttribute('data-points')).toBe(String(training.steps));
      const bars = await page.getByTestId('chart-accuracy').locator('.recharts-label').allTextContents();
      expect(bars).toEqual([before, after].map((a) => `${Math.round(a * 1000) / 10}%`));
      await page.getByTestId('train-panel').screenshot({ path: 'test-results/first-open-trained.png' });

      // The explorer: in a prompt of its task, the layer-1 heads put most of the last token's attention on labels.
      await openStep(page, 'Explore');
      await page.getByRole('button', { name: 'Compose from your data' }).click();
      await page.getByRole('button', { name: 'Show attention' }).click();
      const thumbnails = page.getByTestId('thumbnail');
      await expect.poll(() => thumbnails.count(), { timeout: 60_000 }).toBe(CLASSROOM_MODEL.layers * CLASSROOM_MODEL.heads);
      const layer1 = await Promise.all(Array.from({ length: CLASSROOM_MODEL.heads }, (_, h) => thumbnails.nth(CLASSROOM_MODEL.heads + h).innerText()));
      console.log(`Explorer, layer 1, share of the last token's attention on label tokens: ${layer1.join(', ')}`);
      for (const share of layer1) expect(percent(share)).toBeGreaterThan(0.5);
      await page.getByTestId('explore-panel').screenshot({ path: 'test-results/first-open-explore.png' });

      // A reload keeps the task and the settings, and does not load the model again over the user's choice.
      await page.reload();
      await waitForGpu(page);
      await openStep(page, 'Train');
      expect(await page.getByTestId('train-data').innerText()).toContain(`Classroom: ${task}`);
      await page.waitForTimeout(2000);
      expect(await page.getByTestId('model-summary').count()).toBe(0);
      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
