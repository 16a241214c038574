/**
 * The whole studio as a user goes through it, in headless Chromium on SwiftShader: the bundled demo
 * model, a CSV with a bad row, a short training run with its charts, a head in the explorer, an
 * export loaded back, and a reload that keeps the data and the run history. Prints the time to the
 * first usable control and the longest main-thread task while training; saves a screenshot of each
 * panel in test-results/.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODEL } from '../src/demo-model';
import { tinyModelFiles } from '../src/model/testing/tiny-models';
import { loadFolder, loadedSummary } from './support/model-panel';
import { openStep, type StepLabel } from './support/shell';
import { pickMeasures } from './support/train-panel';
import { returningUserContext } from './support/context';
import { useHarness } from './support/harness';

declare global {
  interface Window {
    /** Long tasks (> 50 ms) of the page's main thread, as the PerformanceObserver reports them. */
    __longTasks: { start: number; duration: number }[];
  }
}

const SHOTS = 'test-results';
const GOOD_ROWS = 12;
const CSV = [
  'text,label',
  ...Array.from({ length: GOOD_ROWS / 2 }, (_, i) => [`the film was ${['wonderful', 'moving', 'brilliant', 'charming', 'gorgeous', 'a joy'][i]} .,positive`, `the plot was ${['dull', 'tedious', 'clumsy', 'boring', 'painful', 'a mess'][i]} .,negative`]).flat(),
  'the ending was odd .,maybe',
].join('\n');

const harness = useHarness({ scratch: 'studio' });
let context: BrowserContext;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  context = await returningUserContext(harness.browser, { viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  await context.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
});

afterAll(async () => {
  await context?.close();
});

async function shot(step: StepLabel, suffix = ''): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `studio-${step.toLowerCase()}${suffix}.png`), fullPage: true });
}

/** The model.safetensors the Train panel's export button downloads. */
async function exportWeights(): Promise<Uint8Array> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export fine-tuned weights' }).click()]);
  return new Uint8Array(await readFile((await download.path())!));
}

/** The tensors' bytes, after the header (whose metadata names the training steps). */
function tensorBytes(file: Uint8Array): Uint8Array {
  return file.subarray(8 + Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true)));
}

const LIVE_CHARTS = ['chart-loss', 'chart-punishment', 'chart-passing'];

/** Points drawn by each per-step chart that is on the page now. */
function chartPoints(): Promise<Record<string, number>> {
  return page.evaluate((ids) => {
    const points: Record<string, number> = {};
    for (const id of ids) {
      const drawn = document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-points');
      if (drawn != null) points[id] = Number(drawn);
    }
    return points;
  }, LIVE_CHARTS);
}

describe('ABFT Studio end to end (demo model, SwiftShader)', () => {
  it('opens, and loads the bundled demo model once the first control is usable', async () => {
    await page.goto(harness.server.url);
    // Polled every frame, so the time is within a frame of the button becoming usable.
    const ready = await page.waitForFunction(
      () => {
        const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Load the demo model (random weights)');
        return button && !button.disabled ? performance.now() : false;
      },
      null,
      { polling: 'raf', timeout: 60_000 },
    );
    const firstPaint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN);
    console.log(`From navigation: first contentful paint ${Math.round(firstPaint)} ms, first usable control (demo model button, GPU ready) ${Math.round(Number(await ready.jsonValue()))} ms`);
    await page.getByRole('button', { name: 'Load the demo model (random weights)' }).click();
    expect(await loadedSummary(page)).toContain(DEMO_MODEL.label);
    await shot('Model');
  });

  it('imports a CSV with a bad row: the row is named, the good rows are kept', async () => {
    await openStep(page, 'Data');
    await page.getByLabel('Import a data file').setInputFiles({ name: 'reviews.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    const problems = page.getByTestId('import-problems');
    await problems.waitFor();
    expect(await problems.innerText()).toMatch(/1 row has a problem[\s\S]*line 14/);
    await shot('Data', '-import');
    await page.getByRole('button', { name: `Import ${GOOD_ROWS} good rows` }).click();
    await expect.poll(() => page.getByTestId('dataset-summary').innerText()).toContain(`${GOOD_ROWS} rows`);
    await shot('Data');
  });

  it('trains a few steps and every chart updates', { timeout: 300_000 }, async () => {
    await openStep(page, 'Train');
    // A random model passes no head under the paper's filter; every head takes part without it.
    await page.getByLabel('Ablation').selectOption('noHeadFilter');
    await page.getByLabel('Training steps').fill('3');
    // Short prompts, few of them: SwiftShader runs the 4-layer demo model at some 25 tokens/s.
    await page.getByLabel('Pseudo-batch (prompts per step)').fill('2');
    await page.getByLabel('Micro-batch (prompts per GPU pass)').fill('2');
    await page.getByLabel('Demonstrations per prompt (k)').fill('2');
    await page.getByLabel('Test queries (evaluation)').fill('2');
    await page.getByLabel('Evaluate before and after').check();
    await pickMeasures(page, ['test']);
    const started = await page.evaluate(() => performance.now());
    await page.getByRole('button', { name: 'Start training' }).click();
    // What the charts show while the run goes on: each step must appear in each of them as it ends.
    const seen: Record<string, Set<number>> = Object.fromEntries(LIVE_CHARTS.map((id) => [id, new Set<number>()]));
    const watch = async () => {
      for (const [id, points] of Object.entries(await chartPoints())) seen[id].add(points);
      return page.getByTestId('training-progress').getAttribute('data-state');
    };
    await expect.poll(watch, { timeout: 240_000, interval: 250 }).toBe('done');
    // Accuracy is measured before the first step and after the last; each chart redraws in a task of its own, after the run's state.
    await expect.poll(() => page.getByTestId('chart-accuracy').getAttribute('data-points')).toBe('2');
    await expect.poll(() => page.getByTestId('head-grid').locator('button.head-cell').count()).toBe(DEMO_MODEL.layers * 4);
    // The window closes once the charts have drawn the run's end, so their last redraws count too.
    const ended = await page.evaluate(() => performance.now());
    for (const id of LIVE_CHARTS) expect([...seen[id]].filter((n) => n > 0).sort(), id).toEqual([1, 2, 3]);

    const tasks = await page.evaluate(() => window.__longTasks);
    const during = tasks.filter((t) => t.start >= started && t.start <= ended);
    const longest = Math.max(0, ...during.map((t) => t.duration));
    console.log(`Training ${Math.round(ended - started)} ms: ${during.length} main-thread tasks over 50 ms, longest ${Math.round(longest)} ms`);
    await shot('Train');
    await page.getByRole('button', { name: 'Switch to the dark theme' }).click();
    // Buttons fade to the new theme's colours; the screenshot shows where they end.
    await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
    await shot('Train', '-dark');
    await page.getByRole('button', { name: 'Switch to the light theme' }).click();
  });

  it('opens a head of the grid in the explorer', async () => {
    await page.getByTestId('head-grid').locator('button.head-cell').nth(5).click();
    expect(await page.locator('nav[aria-label="Steps"] [aria-current="step"]').innerText()).toMatch(/Explore$/);
    await page.getByRole('button', { name: 'Show attention' }).click();
    const head = page.getByTestId('head-view');
    await head.waitFor({ timeout: 60_000 });
    expect(await head.getAttribute('aria-label')).toBe('Layer 1, head 1');
    await page.getByTestId('heatmap-canvas').first().waitFor();
    await shot('Explore');
  });

  it('exports the fine-tuned weights and loads them back', async () => {
    await openStep(page, 'Train');
    const exported = await exportWeights();
    const back = join(harness.folder, 'fine-tuned');
    await mkdir(back);
    const demo = tinyModelFiles(DEMO_MODEL.arch, { layers: DEMO_MODEL.layers });
    for (const name of DEMO_MODEL.files) await writeFile(join(back, name), name === 'model.safetensors' ? exported : demo[name]);
    await openStep(page, 'Model');
    await loadFolder(page, back);
    await expect.poll(() => page.getByTestId('model-summary').locator('h3').innerText(), { timeout: 60_000 }).toBe('folder fine-tuned');
    await openStep(page, 'Train');
    // The weights on the GPU are the exported ones, to the bit.
    expect(tensorBytes(await exportWeights())).toEqual(tensorBytes(exported));
  });

  it('keeps the data and the run history across a reload', async () => {
    await page.reload();
    await openStep(page, 'Data');
    await expect.poll(() => page.getByTestId('dataset-summary').innerText()).toContain(`${GOOD_ROWS} rows`);
    await openStep(page, 'Train');
    await expect.poll(() => page.getByTestId('run-row').count()).toBe(1);
    expect(errors).toEqual([]);
  });
});
