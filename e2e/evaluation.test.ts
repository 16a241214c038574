/**
 * The Train panel's Evaluate button runs the evaluation suite `abft train` runs (ABFT-SPEC.md §6),
 * on the bundled demo model in headless Chromium on SwiftShader: every measure with its counts,
 * progress per measure while it runs, the picked measures kept across a reload, and a failure
 * said in words. Tiny shapes: 1 test query with k = 2, 20 prompts in all.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUITE_MEASURES } from '../src/abft/suite';
import { MEASURE_LABELS } from '../src/ui/evaluation-measures';
import { loadedSummary, waitForGpu } from './support/model-panel';
import { openStep } from './support/shell';
import { returningUserContext } from './support/context';
import { useHarness } from './support/harness';

const harness = useHarness();
let context: BrowserContext;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  context = await returningUserContext(harness.browser, { viewport: { width: 1440, height: 1000 } });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(harness.server.url);
  await page.locator('[data-testid="gpu-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
});

afterAll(async () => {
  await context?.close();
});

const measureBox = (p: Page, label: string) => p.getByRole('group', { name: 'Evaluation measures' }).getByLabel(label);
const evaluateButton = (p: Page) => p.getByRole('button', { name: /^Evaluat/ });

/** Each table row's measure key and cells, as the user reads them. */
async function tableRows(p: Page): Promise<Record<string, string[]>> {
  const rows = p.getByTestId('evaluation').locator('tbody tr');
  const entries = await rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-measure')!, [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())] as const));
  return Object.fromEntries(entries);
}

describe('Evaluate on the demo model (SwiftShader)', () => {
  it('runs every measure of the suite with progress per measure and shows each with its count', { timeout: 240_000 }, async () => {
    await openStep(page, 'Model');
    await page.getByRole('button', { name: 'Load the demo model (random weights)' }).click();
    await loadedSummary(page);
    await openStep(page, 'Train');
    await page.getByLabel('Demonstrations per prompt (k)').fill('2');
    await page.getByLabel('Test queries (evaluation)').fill('1');
    await page.getByLabel('Micro-batch (prompts per GPU pass)').fill('4');
    // Every measure by default, as abft train.
    for (const m of SUITE_MEASURES) expect(await measureBox(page, MEASURE_LABELS[m]).isChecked(), m).toBe(true);

    const started = Date.now();
    await evaluateButton(page).click();
    // What the progress list said while the suite ran, per measure: every state it was seen in.
    const seen = new Map<string, Set<string>>();
    let progressShot = false;
    const watch = async () => {
      const lines = await page.getByTestId('evaluation-progress').locator('li').evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-measure')!, li.textContent!] as const));
      for (const [m, text] of lines) (seen.get(m) ?? seen.set(m, new Set()).get(m)!).add(text.replace(MEASURE_LABELS_PATTERN, ''));
      if (!progressShot && lines.some(([, text]) => /\d+\/\d+$/.test(text))) {
        progressShot = true;
        await page.getByTestId('evaluation-progress').screenshot({ path: 'test-results/evaluation-progress.png' }).catch(() => undefined);
      }
      return page.getByTestId('evaluation').count();
    };
    await expect.poll(watch, { timeout: 200_000, interval: 100 }).toBe(1);
    const seconds = (Date.now() - started) / 1000;
    console.log(`Evaluate, all 4 measures (20 prompts, demo model): ${seconds.toFixed(1)} s`);

    // The list had one line per measure, and a measure's count was seen going up.
    expect([...seen.keys()].sort()).toEqual([...SUITE_MEASURES].sort());
    const counted = [...seen.values()].flatMap((texts) => [...texts]).filter((t) => /^\d+\/\d+$/.test(t));
    expect(counted.length).toBeGreaterThan(0);
    for (const t of counted) expect(['2', '8', '9', '1']).toContain(t.split('/')[1]);

    const rows = await tableRows(page);
    expect(Object.keys(rows)).toEqual(['accuracy', 'macro-f1', 'demonstration-consistency', 'template-consistency', 'unseen-label']);
    const value = /^(\d+(\.\d)?)% /;
    expect(rows.accuracy).toEqual([expect.stringMatching(/^\d+\.\d% 2 prompts$/)]);
    expect(rows['macro-f1']).toEqual([expect.stringMatching(/^\d+\.\d% 2 prompts$/)]);
    expect(rows['demonstration-consistency']).toEqual([expect.stringMatching(/^\d+\.\d% 1 query × 8 sets$/)]);
    expect(rows['template-consistency']).toEqual([expect.stringMatching(/^\d+\.\d% 1 query × 9 templates$/)]);
    expect(rows['unseen-label']).toEqual([expect.stringMatching(/^\d+\.\d% 1 prompt$/)]);
    // Shares of what they count: accuracies of 2 prompts and 1; with 2 labels a query's most frequent answer is at least 4 of its 8 sets and 5 of its 9 templates.
    const share = (key: string) => Number(value.exec(rows[key][0])![1]) / 100;
    for (const [key, over] of [['accuracy', 2], ['unseen-label', 1]] as const) expect(share(key) * over, key).toBeCloseTo(Math.round(share(key) * over), 5);
    expect(share('demonstration-consistency')).toBeGreaterThanOrEqual(0.5);
    expect(share('template-consistency')).toBeGreaterThanOrEqual(0.555);
    for (const key of Object.keys(rows)) expect(share(key), key).toBeLessThanOrEqual(1);
    expect(await page.getByTestId('evaluation').locator('thead th').allInnerTexts()).toEqual(['measure', 'before training']);
    await page.getByTestId('train-panel').locator('.evaluation').screenshot({ path: 'test-results/evaluation.png' });
    await page.getByRole('group', { name: 'Evaluation measures' }).screenshot({ path: 'test-results/evaluation-measures.png' });
    expect(errors).toEqual([]);
  });

  it('runs only the picked measures, keeps the pick across a reload, and says why an evaluation fails', { timeout: 120_000 }, async () => {
    await measureBox(page, MEASURE_LABELS.demonstrationConsistency).uncheck();
    await measureBox(page, MEASURE_LABELS.templateConsistency).uncheck();
    const started = Date.now();
    await evaluateButton(page).click();
    await expect.poll(async () => (await tableRows(page)).accuracy?.length, { timeout: 100_000, interval: 100 }).toBe(2);
    console.log(`Evaluate, accuracy and unseen-label accuracy (3 prompts, demo model): ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const rows = await tableRows(page);
    // The first evaluation's consistencies stay; the second ran none.
    expect(rows['demonstration-consistency'][1]).toBe('–');
    expect(rows['template-consistency'][1]).toBe('–');
    expect(rows['unseen-label'][1]).toMatch(/^\d+\.\d% 1 prompt$/);
    // The same seed gives the same prompts: the model did not change, so neither did its accuracy.
    expect(rows.accuracy[1]).toBe(rows.accuracy[0]);
    expect(rows['unseen-label'][1]).toBe(rows['unseen-label'][0]);

    await page.reload();
    await waitForGpu(page);
    await openStep(page, 'Train');
    const checked = await Promise.all(SUITE_MEASURES.map((m) => measureBox(page, MEASURE_LABELS[m]).isChecked()));
    expect(checked).toEqual([true, false, false, true]);

    // No test query to evaluate on: the prompts are refused before any GPU work, in words.
    await openStep(page, 'Model');
    await page.getByRole('button', { name: 'Load the demo model (random weights)' }).click();
    await loadedSummary(page);
    await openStep(page, 'Train');
    await page.getByLabel('Test queries (evaluation)').fill('0');
    await evaluateButton(page).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The evaluation failed' });
    await alert.waitFor({ timeout: 60_000 });
    expect(await alert.innerText()).toBe('The evaluation failed: There are no test queries; the evaluation needs at least one.');
    expect(await evaluateButton(page).innerText()).toBe('Evaluate');
    expect(errors).toEqual([]);
  });
});

/** A progress line's text is its measure's label, then its count or state. */
const MEASURE_LABELS_PATTERN = new RegExp(`^(${Object.values(MEASURE_LABELS).join('|')})`);
