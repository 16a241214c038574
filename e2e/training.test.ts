import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateOf } from '../src/abft/prompts';
import { syntheticPrompt, syntheticSentiment } from '../src/data/synthetic';
import { tinyModelFiles, writeTinyModel } from '../src/model/testing/tiny-models';
import { defaultTrainCount, splitRows } from '../src/store/data-store';
import type { TrainingData } from '../src/train/protocol';
import { loadedSummary, loadFolder, openAppWithModel, waitForGpu, type AppPage } from './support/model-panel';
import { openStep } from './support/shell';
import { pickMeasures } from './support/train-panel';
import { useHarness } from './support/harness';

const harness = useHarness({ scratch: 'training' });
let app: AppPage;

/** The tensor names and metadata of a safetensors file: an 8-byte little-endian header length, then the JSON header. */
function safetensorsHeader(bytes: Uint8Array): { names: string[]; metadata: Record<string, string> } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const { __metadata__: metadata = {}, ...tensors } = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>;
  return { names: Object.keys(tensors).sort(), metadata: metadata as Record<string, string> };
}

beforeAll(async () => {
  await writeTinyModel(join(harness.folder, 'tiny-llama'), 'llama');
  app = await openAppWithModel(harness.browser, `${harness.server.url}?test`, join(harness.folder, 'tiny-llama'));
  await app.page.setViewportSize({ width: 1440, height: 1000 });
  await openStep(app.page, 'Train');
});

afterAll(async () => {
  await app?.context.close();
});

interface Setup {
  readonly ablation?: string;
  readonly measure?: boolean;
  readonly pseudoBatch?: number;
  readonly k?: number;
}

/** Small enough for SwiftShader: 4 prompts per step in micro-batches of 2, every head in the loss, 2 test queries. */
async function configure(page: Page, steps: number, { ablation = 'noHeadFilter', measure = true, pseudoBatch = 4, k = 4 }: Setup = {}): Promise<void> {
  // A random tiny model passes no head under the paper's filter (see src/train/trainer.test.ts).
  await page.getByLabel('Ablation').selectOption(ablation);
  await page.getByLabel('Training steps').fill(String(steps));
  await page.getByLabel('Pseudo-batch (prompts per step)').fill(String(pseudoBatch));
  await page.getByLabel('Demonstrations per prompt (k)').fill(String(k));
  await page.getByLabel('Micro-batch (prompts per GPU pass)').fill('2');
  await page.getByLabel('Test queries (evaluation)').fill('2');
  await page.getByLabel('Evaluate before and after').setChecked(measure);
  await pickMeasures(page, ['test']);
}

/** The Data panel's default dataset as the Train panel sends it: the synthetic rows of its training pool. */
function syntheticTrainingData(): TrainingData {
  const rows = syntheticSentiment({ size: 256, seed: 1 }).rows;
  const pool = splitRows(rows, defaultTrainCount(rows.length), 1).filter((r) => !r.test);
  return { kind: 'rows', rows: pool.map(({ text, label }) => ({ text, label })), template: templateOf(syntheticPrompt(2)) };
}

const stepText = (page: Page) => page.getByTestId('training-step').innerText();
const runState = (page: Page) => page.getByTestId('training-progress').getAttribute('data-state');
const points = (page: Page, testId: string) => page.getByTestId(testId).getAttribute('data-points');
const runRows = (page: Page) => page.getByTestId('run-row');

async function train(page: Page, steps: number, setup: Setup): Promise<void> {
  await configure(page, steps, setup);
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect.poll(() => runState(page), { timeout: 60_000 }).toBe('done');
}

/** A download's suggested name and text. */
async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: file.suggestedFilename(), text: await readFile((await file.path())!, 'utf8') };
}

describe('training in the browser (tiny Llama, SwiftShader)', () => {
  it('trains 3 ABFT steps with live metrics, and pauses and resumes between steps', async () => {
    const { page } = app;
    expect(await page.getByTestId('train-data').innerText()).toContain('Synthetic sentiment');
    await configure(page, 3);
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => stepText(page), { timeout: 30_000 }).toMatch(/step [12]\/3/);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => runState(page), { timeout: 30_000 }).toBe('paused');
    const pausedAt = await stepText(page);
    await page.waitForTimeout(1500);
    expect(await stepText(page)).toBe(pausedAt);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => runState(page), { timeout: 120_000 }).toBe('done');
    expect(await stepText(page)).toBe('step 3/3');
    expect(Number(await page.getByTestId('metric-loss').innerText())).toBeGreaterThan(0);
    expect(await page.getByTestId('metric-punishment').innerText()).toMatch(/^\d+\.\d+ → \d+\.\d+$/);
    // No head filter: every one of the 2 layers × 4 heads takes part.
    expect(await page.getByTestId('metric-passing-heads').innerText()).toBe('8.00');
    expect(await page.getByTestId('training-speed').innerText()).toMatch(/tokens\/s/);
    const norms = await page.locator('[data-testid="delta-norms"] tbody tr').allInnerTexts();
    expect(norms).toHaveLength(2);
    for (const row of norms) for (const v of row.split('\t').slice(1)) expect(Number(v)).toBeGreaterThan(0);
    // Each chart takes the run's end in a redraw task of its own, after the run's state.
    await expect.poll(() => points(page, 'chart-accuracy')).toBe('2');
    expect(await page.getByTestId('chart-accuracy').locator('.recharts-label').allTextContents()).toEqual([expect.stringMatching(/^\d+(\.\d)?%$/), expect.stringMatching(/^\d+(\.\d)?%$/)]);
  });

  it('draws every chart and the head grid from the run, and opens a clicked head in the explorer', async () => {
    const { page } = app;
    // The charts redraw a few times a second; the last redraw has every step.
    for (const chart of ['chart-loss', 'chart-punishment', 'chart-passing']) await expect.poll(() => points(page, chart)).toBe('3');
    await expect.poll(() => points(page, 'chart-accuracy')).toBe('2');
    await expect.poll(() => page.getByTestId('chart-loss').locator('.recharts-line-curve').count()).toBe(1);
    const grid = page.getByTestId('head-grid');
    await expect.poll(() => grid.locator('figcaption').innerText()).toContain('step 3');
    const cells = grid.locator('.head-cell');
    expect(await cells.count()).toBe(8);
    const number = String.raw`\d\.\d{3}`;
    const label = new RegExp(`^layer 1, head 2: correct labels ${number}, wrong labels ${number}, first token ${number}, passes the filter on 100% of prompts$`);
    expect(await cells.nth(6).getAttribute('aria-label')).toMatch(label);
    await cells.nth(6).hover();
    expect(await page.getByTestId('head-grid-detail').innerText()).toMatch(label);
    await page.getByTestId('train-panel').screenshot({ path: 'test-results/train-panel.png' });
    expect(await runRows(page).count()).toBe(1);

    await cells.nth(6).click();
    const current = page.getByRole('navigation', { name: 'Steps' }).locator('[aria-current="step"]');
    expect(await current.innerText()).toContain('Explore');
    await openStep(page, 'Train');
  });

  it('stops a run between steps', async () => {
    const { page } = app;
    await configure(page, 50, { measure: false });
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => stepText(page), { timeout: 30_000 }).toMatch(/step [1-9]\d*\/50/);
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => runState(page), { timeout: 30_000 }).toBe('stopped');
    const [done] = (await stepText(page)).match(/\d+/)!;
    expect(Number(done)).toBeLessThan(50);
    expect(await page.getByRole('button', { name: 'Start training' }).isEnabled()).toBe(true);
  });

  it('saves the stopped run as a checkpoint in the browser and restores it', async () => {
    const { saved, restored } = await app.page.evaluate(async (data) => {
      const client = window.__abft!.client;
      const saved = await client.request({ type: 'save-checkpoint', name: 'e2e-run' });
      const restored = await client.request({ type: 'restore-checkpoint', name: 'e2e-run', data });
      return { saved: saved.checkpoints.map((c) => c.name), restored: { stepsDone: restored.stepsDone, steps: restored.options.steps } };
    }, syntheticTrainingData());
    expect(saved).toContain('e2e-run');
    const [done] = (await stepText(app.page)).match(/\d+/)!;
    expect(restored).toEqual({ stepsDone: Number(done), steps: 50 });
  });

  it('exports the fine-tuned weights as a model.safetensors download with the base model tensor names', async () => {
    const { page } = app;
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export fine-tuned weights' }).click()]);
    expect(download.suggestedFilename()).toBe('model.safetensors');
    const exported = safetensorsHeader(new Uint8Array(await readFile((await download.path())!)));
    expect(exported.names).toEqual(safetensorsHeader(tinyModelFiles('llama')['model.safetensors'] as Uint8Array).names);
    expect(Number(exported.metadata.training_steps)).toBeGreaterThan(0);
  });

  it('returns attention rows that sum to 1, with a decoded token per column', async () => {
    const result = await app.page.evaluate(async () => {
      const client = window.__abft!.client;
      const sums = async (request: Parameters<typeof client.request<'attention'>>[0]) => {
        const { attention } = await client.request(request);
        const T = attention.tokens.length;
        const rowSums = attention.probabilities.flatMap((p) => Array.from({ length: p.length / T }, (_, r) => p.subarray(r * T, (r + 1) * T).reduce((s, v) => s + v, 0)));
        return { T, rows: attention.rows.length, values: attention.probabilities.map((p) => p.length), rowSums, tokens: attention.tokens };
      };
      return {
        text: await sums({ type: 'attention', input: { kind: 'text', text: 'review: the film was moving . sentiment: ' }, rows: 'all', layers: [1], heads: [0, 3] }),
        prompt: await sums({ type: 'attention', input: { kind: 'prompt', index: 0 }, rows: 'last' }),
      };
    });
    const { text, prompt } = result;
    expect(text.tokens.join('')).toBe('review: the film was moving . sentiment: ');
    expect(text.values).toEqual([2 * text.T * text.T]);
    expect(prompt.rows).toBe(1);
    expect(prompt.values).toEqual([4 * prompt.T, 4 * prompt.T]);
    for (const sum of [...text.rowSums, ...prompt.rowSums]) expect(sum).toBeCloseTo(1, 3);
  });

  it('answers an input error with its message and keeps working', async () => {
    const message = await app.page.evaluate(() =>
      window.__abft!.client.request({ type: 'attention', input: { kind: 'text', text: 'hello' }, rows: 'last', layers: [7] }).then(
        () => 'no error',
        (error: Error) => error.message,
      ),
    );
    expect(message).toContain('layer 7 does not exist');
    expect(app.errors).toEqual([]);
  });
  it('keeps runs across a reload, compares two side by side and exports a run report', async () => {
    const { page } = app;
    // Shorter prompts, fewer of them, and accuracy of one run only: each costs SwiftShader seconds.
    await train(page, 2, { ablation: 'abft', pseudoBatch: 2, k: 2 });
    await train(page, 2, { ablation: 'noPunishment', pseudoBatch: 2, k: 2, measure: false });
    // The 3-step run, the stopped run and these two.
    expect(await runRows(page).count()).toBe(4);
    await page.reload();
    await waitForGpu(page);
    await openStep(page, 'Train');
    await expect.poll(() => runRows(page).count()).toBe(4);
    const [punishmentless, abft] = [runRows(page).nth(0), runRows(page).nth(1)];
    expect(await punishmentless.innerText()).toContain('ABFT, 𝒜 = 0 · 2 steps');
    await punishmentless.getByRole('checkbox').check();
    await abft.getByRole('checkbox').check();
    const compare = page.getByTestId('run-compare');
    expect(await compare.getByTestId('compare-table').locator('thead').innerText()).toMatch(/ABFT, 𝒜 = 0 · 2 steps[\s\S]*ABFT · 2 steps/);
    // Charts mount once the page is idle, one per task, and redraw a moment after the data: poll rather than read once.
    const drawn = { timeout: 15_000 };
    for (const chart of ['compare-loss', 'compare-punishment', 'compare-passing']) await expect.poll(() => points(page, chart)).toBe('2');
    await expect.poll(() => compare.getByTestId('compare-loss').locator('.recharts-line-curve').count(), drawn).toBe(2);
    await expect.poll(() => points(page, 'compare-accuracy')).toBe('2');
    await expect.poll(() => compare.getByTestId('compare-accuracy').locator('.recharts-bar-rectangle').count(), drawn).toBe(2);
    await expect.poll(() => compare.locator('.head-cell').count()).toBe(16);
    await page.getByTestId('train-panel').locator('.train-runs').screenshot({ path: 'test-results/train-panel-compare.png' });

    const json = await download(page, () => abft.getByRole('button', { name: 'JSON' }).click());
    expect(json.name).toMatch(/^abft-run-.*\.json$/);
    const report = JSON.parse(json.text);
    expect(report).toMatchObject({ format: 'abft-studio-run-report', outcome: 'done', layers: 2, heads: 4, settings: { preset: 'abft', steps: 2 } });
    expect(report.steps).toHaveLength(2);
    expect(report.steps[1].heads.plus).toHaveLength(8);
    expect(report.evaluationBefore.test.count).toBe(4);
    expect(report.evaluationBefore.demonstrationConsistency).toBeNull();
    expect(report.deltaNorms).toHaveLength(2);
    const summary = await download(page, () => abft.getByRole('button', { name: 'Summary' }).click());
    expect(summary.name).toMatch(/\.html$/);
    expect(summary.text).toContain('<svg');
    expect(summary.text).toContain('‖ΔW_Q‖_F');

    await punishmentless.getByRole('button', { name: /^Delete/ }).click();
    expect(await runRows(page).count()).toBe(3);
    expect(await compare.count()).toBe(0);
    expect(app.errors).toEqual([]);
  });

  it("trains with the Data step's label scoring: an end-to-end run on a label word of several tokens records the rule chosen", async () => {
    const { page } = app;
    // The reload of the test before left the page with no model.
    await openStep(page, 'Model');
    await loadFolder(page, join(harness.folder, 'tiny-llama'));
    await loadedSummary(page);
    await openStep(page, 'Data');
    await page.getByLabel('Label scoring').selectOption('last');
    await page.getByLabel('Label word for class 1').fill('wonderful');
    await openStep(page, 'Train');
    await configure(page, 1, { pseudoBatch: 2, k: 2, measure: false });
    await page.getByLabel('Objective').selectOption('end-to-end');
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => runState(page), { timeout: 60_000 }).toBe('done');
    expect(Number(await page.getByTestId('metric-loss').innerText())).toBeGreaterThan(0);
    const json = await download(page, () => runRows(page).nth(0).getByRole('button', { name: 'JSON' }).click());
    expect(JSON.parse(json.text).options).toMatchObject({ objective: 'end-to-end', labelScoring: 'last', k: 2 });
    await page.getByLabel('Objective').selectOption('abft');
    await openStep(page, 'Data');
    await page.getByLabel('Label word for class 1').fill('positive');
    await page.getByLabel('Label scoring').selectOption('sequence');
    expect(app.errors).toEqual([]);
  });
});
