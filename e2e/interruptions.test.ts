/**
 * Runs that are interrupted, in headless Chromium on SwiftShader with the bundled demo model: a
 * reload in the middle of a run, then Resume, must end exactly where an unbroken run with the same
 * seed ends (every step's loss, the accuracy before and after, the exported weights, bit for bit);
 * an interrupted run can be discarded; and after a run blows up, the page says which weights are on
 * the GPU and puts good ones back.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SuiteReport } from '../src/abft/suite';
import { loadedSummary, waitForGpu } from './support/model-panel';
import { openStep } from './support/shell';
import { pickMeasures } from './support/train-panel';
import { returningUserContext } from './support/context';
import { useHarness } from './support/harness';

const harness = useHarness();
let context: BrowserContext;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  context = await returningUserContext(harness.browser, { viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  // Autosave after every step, so a reload at any step has a save to resume from.
  await page.goto(`${harness.server.url}?autosave-every=1`);
  await page.locator('[data-testid="gpu-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
});

afterAll(async () => {
  await context?.close();
});

const runState = (p: Page) => p.getByTestId('training-progress').getAttribute('data-state');
const stepText = (p: Page) => p.getByTestId('training-step').innerText();

async function loadDemo(): Promise<void> {
  await openStep(page, 'Model');
  await page.getByRole('button', { name: 'Load the demo model (random weights)' }).click();
  await loadedSummary(page);
  await openStep(page, 'Train');
}

/** Tiny settings for SwiftShader: one 2-demonstration prompt per step, every head in the loss, 2 test queries. */
async function configure(steps: number, lr = '0.01'): Promise<void> {
  await page.getByLabel('Ablation').selectOption('noHeadFilter');
  await page.getByLabel('Learning rate').fill(lr);
  await page.getByLabel('Training steps').fill(String(steps));
  await page.getByLabel('Pseudo-batch (prompts per step)').fill('1');
  await page.getByLabel('Micro-batch (prompts per GPU pass)').fill('1');
  await page.getByLabel('Demonstrations per prompt (k)').fill('2');
  await page.getByLabel('Test queries (evaluation)').fill('2');
  await page.getByLabel('Evaluate before and after').check();
  await pickMeasures(page, ['test']);
}

interface Report {
  readonly outcome: string;
  readonly steps: readonly { readonly step: number; readonly loss: number; readonly gradNorm: number }[];
  readonly evaluationBefore: SuiteReport | null;
  readonly evaluationAfter: SuiteReport | null;
}

/** The JSON report of the newest finished run. */
async function newestReport(): Promise<Report> {
  const row = page.getByTestId('run-row').first();
  const [file] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'JSON' }).click()]);
  return JSON.parse(await readFile((await file.path())!, 'utf8')) as Report;
}

/** SHA-256 of the tensors of the exported model.safetensors (the header after the length holds the metadata). */
async function exportedWeightsHash(): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export fine-tuned weights' }).click()]);
  const bytes = await readFile((await file.path())!);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  return createHash('sha256').update(bytes.subarray(8 + headerLength)).digest('hex');
}

/** The files of the worker's checkpoint folder in the Origin Private File System. */
function checkpointFiles(): Promise<string[]> {
  return page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle('abft-studio-checkpoints', { create: true });
    const names: string[] = [];
    for await (const [name] of folder.entries()) names.push(name);
    return names.sort();
  });
}

async function reloadApp(): Promise<void> {
  await page.reload();
  await waitForGpu(page);
  await openStep(page, 'Train');
}

describe('a run interrupted by a reload', () => {
  const STEPS = 4;
  let straight: Report;
  let straightHash: string;

  it('trains 4 steps unbroken, for reference', { timeout: 300_000 }, async () => {
    await loadDemo();
    await configure(STEPS);
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => runState(page), { timeout: 240_000 }).toBe('done');
    straight = await newestReport();
    expect(straight.steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    expect(straight.evaluationBefore?.test?.count).toBe(4);
    straightHash = await exportedWeightsHash();
    // A finished run leaves no autosave behind.
    expect(await checkpointFiles()).toEqual([]);
  });

  it('is kept with its metrics across a reload after step 2, resumes to step 4 and ends bit for bit as the unbroken run', { timeout: 400_000 }, async () => {
    // The same run again from the loaded weights: load the model again.
    await loadDemo();
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => stepText(page), { timeout: 240_000 }).toMatch(/^step [23]\/4$/);
    await reloadApp();

    const interrupted = page.getByTestId('interrupted-run');
    await interrupted.waitFor({ timeout: 30_000 });
    // The record is as last committed: the step shown, or the one before when the reload beat its write.
    expect(await interrupted.innerText()).toMatch(/interrupted at step [1-3] of 4/);
    // Its "before" measure survived the reload.
    expect(await interrupted.innerText()).toMatch(/\d+\.\d% → –/);
    expect((await checkpointFiles()).filter((n) => n.startsWith('.autosave-') && n.endsWith('.safetensors'))).toHaveLength(1);
    await page.getByTestId('train-panel').screenshot({ path: 'test-results/interrupted-run.png' });

    // Resume loads the demo model again (the reload gave the worker up), restores the autosave and trains on.
    await interrupted.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => runState(page), { timeout: 300_000 }).toBe('done');
    expect(await stepText(page)).toBe('step 4/4');
    expect(await interrupted.count()).toBe(0);

    const resumed = await newestReport();
    expect(resumed.outcome).toBe('done');
    expect(resumed.steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    expect(resumed.steps.map((s) => [s.loss, s.gradNorm])).toEqual(straight.steps.map((s) => [s.loss, s.gradNorm]));
    expect(resumed.evaluationBefore).toEqual(straight.evaluationBefore);
    expect(resumed.evaluationAfter).not.toBeNull();
    expect(resumed.evaluationAfter).toEqual(straight.evaluationAfter);
    expect(await exportedWeightsHash()).toBe(straightHash);
    expect(await checkpointFiles()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('can be discarded, with its autosave', { timeout: 300_000 }, async () => {
    await loadDemo();
    await configure(50);
    // No measure: the test set costs SwiftShader seconds and changes nothing here.
    await page.getByLabel('Evaluate before and after').uncheck();
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => stepText(page), { timeout: 240_000 }).toMatch(/^step [1-9]\d*\/50$/);
    // The first autosave is on disk (its record was committed before it): what a reload then finds.
    await expect.poll(async () => (await checkpointFiles()).some((n) => n.startsWith('.autosave-')), { timeout: 60_000 }).toBe(true);
    await reloadApp();
    const interrupted = page.getByTestId('interrupted-run');
    await interrupted.waitFor({ timeout: 30_000 });
    const runs = await page.getByTestId('run-row').count();
    await interrupted.getByRole('button', { name: /^Discard/ }).click();
    await expect.poll(() => interrupted.count()).toBe(0);
    expect(await page.getByTestId('run-row').count()).toBe(runs);
    await expect.poll(checkpointFiles).toEqual([]);
    await reloadApp();
    expect(await page.getByTestId('interrupted-run').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});

describe('a run that blows up', () => {
  it('says which weights it left on the GPU, blames the weights and not the next run\'s learning rate, and restores the loaded ones', { timeout: 300_000 }, async () => {
    await loadDemo();
    await configure(4, '1e6');
    await page.getByLabel('Evaluate before and after').uncheck();
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => runState(page), { timeout: 240_000 }).toBe('failed');
    const error = page.getByTestId('training-error');
    expect(await error.innerText()).toMatch(/Training step 2: the (loss|gradient norm) is (Infinity|NaN), so the step was not applied\. The weights are now those after step 1, which this run's updates made unusable/);
    expect(await error.getByRole('button').allInnerTexts()).toEqual(['Restore the weights from before this run', "Restore the model's loaded weights"]);

    // The next run, at a sane learning rate, on those weights.
    await page.getByLabel('Learning rate').fill('0.01');
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => runState(page), { timeout: 240_000 }).toBe('failed');
    const text = await error.innerText();
    expect(text).toMatch(/Training step 1: the (loss|gradient norm) is (Infinity|NaN), so the step was not applied\. This run had not changed the weights yet, so its learning rate is not the cause/);
    expect(text).toContain('already ruined by the ABFT run with lr 1000000 (1 step, stopped by a non-finite loss at step 2)');
    expect(text).not.toMatch(/lower (the )?learning rate/i);
    expect(await error.getByRole('button').allInnerTexts()).toEqual(['Restore the weights from before the earlier run', "Restore the model's loaded weights"]);
    await page.getByTestId('train-panel').screenshot({ path: 'test-results/blown-run.png' });

    await error.getByRole('button', { name: "Restore the model's loaded weights" }).click();
    await expect.poll(() => page.getByTestId('weights-restored').innerText().catch(() => '')).toContain("The weights on the GPU are now the model's loaded weights.");
    await page.getByLabel('Training steps').fill('1');
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => runState(page), { timeout: 240_000 }).toBe('done');
    expect(Number(await page.getByTestId('metric-loss').innerText())).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});
