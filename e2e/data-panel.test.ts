import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeViewer, type FakeViewer } from '../src/data/testing/fake-dataset-viewer';
import { writeTinyModel } from '../src/model/testing/tiny-models';
import { startAppServer, type AppServer } from './support/app-server';
import { launchChromium } from './support/chromium';
import { loadFolder, loadedSummary, openApp, waitForGpu } from './support/model-panel';

let server: AppServer;
let viewer: FakeViewer;
let browser: Browser;
let folder: string;

const VIEWPORT = { width: 1360, height: 1000 };

beforeAll(async () => {
  [server, viewer, browser, folder] = await Promise.all([startAppServer(), startFakeViewer(), launchChromium({ webgpu: true }), mkdtemp(join(tmpdir(), 'abft-data-'))]);
  await writeTinyModel(join(folder, 'tiny-llama'), 'llama');
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), viewer?.close(), folder && rm(folder, { recursive: true, force: true })]);
});

async function openDataStep(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: /Data/ }).click();
  await page.getByTestId('data-panel').waitFor();
}

async function waitSaved(page: Page): Promise<void> {
  await expect.poll(() => page.getByTestId('data-save-state').getAttribute('data-state')).toBe('saved');
}

/** Drops a file on the import area as a user's drag from the desktop does: dragover, then drop, with a DataTransfer holding the File. */
async function dropFile(page: Page, name: string, text: string): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, text }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], name, { type: 'text/csv' }));
      return transfer;
    },
    { name, text },
  );
  const area = page.getByTestId('file-drop');
  await area.dispatchEvent('dragover', { dataTransfer });
  await expect.poll(() => area.getAttribute('class')).toContain('dragging');
  await area.dispatchEvent('drop', { dataTransfer });
  await page.getByTestId('import-mapping').waitFor();
}

const rowCount = async (page: Page) => Number((await page.getByTestId('dataset-summary').innerText()).match(/([\d,]+) rows?\b/)![1].replace(',', ''));

const CSV = ['text,label', 'a gorgeous film .,positive', 'a tedious mess .,negative', 'an odd one .,meh', ',positive', 'quietly moving .,1'].join('\n');

describe('the Data panel', () => {
  it('imports the good rows of a CSV naming the bad ones, edits and adds rows, and keeps them over a reload', async () => {
    const { context, page, errors } = await openApp(browser, server.url);
    try {
      await page.setViewportSize(VIEWPORT);
      await openDataStep(page);
      expect(await page.getByTestId('dataset-summary').innerText()).toContain('Synthetic');

      await page.getByLabel('Import a data file').setInputFiles({ name: 'reviews.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
      const problems = page.getByTestId('import-problems');
      await problems.waitFor();
      const text = await problems.innerText();
      expect(text).toContain('2 rows have problems');
      expect(text).toMatch(/line 4[\s\S]*"meh", which is not one of the labels/);
      expect(text).toMatch(/line 5[\s\S]*field "text" is empty/);
      await page.screenshot({ path: 'test-results/data-panel-import.png', fullPage: true });
      await page.getByRole('button', { name: 'Import 3 good rows' }).click();

      expect(await page.getByTestId('dataset-name').innerText()).toBe('reviews.csv');
      await page.getByLabel('Text of row 1').fill('an edited film .');
      await page.getByLabel('Text of row 1').press('Enter');
      await page.getByLabel('New row text').fill('a brand new row .');
      await page.getByLabel('New row label').selectOption('positive');
      await page.getByRole('button', { name: 'Add row' }).click();
      expect(await page.getByTestId('data-row').count()).toBe(4);
      expect(await page.getByLabel('Text of row 4').inputValue()).toBe('a brand new row .');
      await waitSaved(page);
      await page.screenshot({ path: 'test-results/data-panel-rows.png', fullPage: true });

      await page.reload();
      await waitForGpu(page);
      await openDataStep(page);
      await expect.poll(() => page.getByTestId('dataset-name').innerText()).toBe('reviews.csv');
      expect(await page.getByLabel('Text of row 1').inputValue()).toBe('an edited film .');
      expect(await page.getByLabel('Text of row 4').inputValue()).toBe('a brand new row .');
      expect(await page.getByLabel('Label of row 4').inputValue()).toBe('1');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('imports dropped files, replacing the sample, appending to own rows, and undoes a replace after a reload; k is one setting with the Train step', async () => {
    const { context, page, errors } = await openApp(browser, server.url);
    try {
      await page.setViewportSize(VIEWPORT);
      await openDataStep(page);
      const statement = page.getByTestId('import-statement');

      await dropFile(page, 'first.csv', 'text,label\na fine film .,positive\na dull one .,negative\nso good .,positive\n');
      expect(await statement.innerText()).toBe('Replaces the 256 rows of “Synthetic sentiment” with 3 rows from the file; Undo brings them back.');
      await page.getByRole('button', { name: 'Import 3 good rows' }).click();
      await expect.poll(() => rowCount(page)).toBe(3);

      await dropFile(page, 'second.csv', 'text,label\nlovely .,positive\nawful .,negative\n');
      expect(await page.getByLabel('add to the current rows').isChecked()).toBe(true);
      expect(await statement.innerText()).toBe('Adds 2 rows to the 3 rows of “first.csv”: 5 rows in all.');
      await page.getByRole('button', { name: 'Import 2 good rows' }).click();
      await expect.poll(() => rowCount(page)).toBe(5);
      expect(await page.getByLabel('Text of row 4').inputValue()).toBe('lovely .');

      await dropFile(page, 'third.csv', 'text,label\nonly this .,negative\n');
      await page.getByLabel('replace the current rows').check();
      expect(await statement.innerText()).toBe('Replaces the 5 rows of “first.csv” with 1 row from the file; Undo brings them back.');
      await page.getByRole('button', { name: 'Import 1 good row' }).click();
      await expect.poll(() => rowCount(page)).toBe(1);
      expect(await page.getByTestId('import-undo').innerText()).toContain('Replaced the 5 rows of “first.csv” with 1 row from third.csv.');
      await page.getByTestId('data-panel').screenshot({ path: 'test-results/data-panel-undo.png' });
      // The undo is saved with the data: it survives a reload.
      await waitSaved(page);
      await page.reload();
      await waitForGpu(page);
      await openDataStep(page);
      await expect.poll(() => rowCount(page)).toBe(1);
      expect(await page.getByTestId('import-undo').innerText()).toContain('Replaced the 5 rows of “first.csv” with 1 row from third.csv.');
      await page.getByRole('button', { name: 'Undo import' }).click();
      await expect.poll(() => rowCount(page)).toBe(5);
      expect(await page.getByTestId('import-undo').count()).toBe(0);

      // k is the data's: set in the Train step, it is the template's k in the Data step.
      await page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: /Train/ }).click();
      await page.getByLabel('Demonstrations per prompt (k)').fill('3');
      await openDataStep(page);
      expect(await page.getByLabel('k (demos)').inputValue()).toBe('3');
      await waitSaved(page);

      await page.reload();
      await waitForGpu(page);
      await openDataStep(page);
      await expect.poll(() => rowCount(page)).toBe(5);
      expect(await page.getByLabel('k (demos)').inputValue()).toBe('3');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('loads a paper dataset from the dataset viewer given by ?datasets=', async () => {
    const { context, page, errors } = await openApp(browser, `${server.url}?datasets=${encodeURIComponent(viewer.endpoint)}`);
    try {
      await page.setViewportSize(VIEWPORT);
      await openDataStep(page);
      viewer.requests = [];
      await page.getByRole('button', { name: /^SST-2/ }).click();
      await page.getByRole('button', { name: 'Load from the Hub' }).click();
      await expect.poll(() => page.getByTestId('dataset-name').innerText(), { timeout: 30_000 }).toBe('SST-2');
      const summary = await page.getByTestId('dataset-summary').innerText();
      // 250 rows on the fake viewer, of which 4 cannot be used.
      expect(summary).toContain('246 rows');
      expect(summary).toContain('4 rows skipped');
      expect(viewer.requests.some((r) => r.startsWith('/rows?'))).toBe(true);
      expect(await page.getByLabel('Input prefix').inputValue()).toBe('sentence: ');
      expect(await page.getByTestId('row-page').innerText()).toContain('of 246');
      await waitSaved(page);
      await page.screenshot({ path: 'test-results/data-panel-preset.png', fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("previews a prompt with the loaded model's tokens and label tokens marked; a label word of several tokens is marked at its first, and the label scoring reports words it cannot tell apart", async () => {
    const { context, page, errors } = await openApp(browser, server.url);
    try {
      await page.setViewportSize(VIEWPORT);
      await loadFolder(page, join(folder, 'tiny-llama'));
      await loadedSummary(page);
      await openDataStep(page);
      const tokens = page.getByTestId('prompt-tokens');
      await tokens.waitFor({ timeout: 30_000 });
      await page.getByTestId('prompt-ok').waitFor();
      const signs = await tokens.locator('[data-sign]').evaluateAll((spans) => spans.map((s) => `${s.getAttribute('data-sign')}:${s.textContent}`));
      expect(signs).toHaveLength(4);
      expect(signs.every((s) => /^(plus|minus):( negative| positive)$/.test(s))).toBe(true);
      expect(signs.some((s) => s.startsWith('plus'))).toBe(true);
      expect(await page.getByTestId('prompt-answers').innerText()).toBe('Answer scored by negative = "negative" · positive = "positive"');
      await page.screenshot({ path: 'test-results/data-panel-preview.png', fullPage: true });

      // Several tokens in the tiny vocabulary: scored whole by the default rule, no problem; marked at its first token in context.
      await page.getByLabel('Label word for class 1').fill('wonderful');
      await expect.poll(() => page.getByTestId('prompt-answers').innerText(), { timeout: 30_000 }).toMatch(/^Answer scored by negative = "negative" · wonderful = "w" \+ "o" \+ /);
      await page.getByTestId('prompt-ok').waitFor();
      const marked = await tokens.locator('[data-sign]').evaluateAll((spans) => spans.map((s) => s.textContent));
      expect(marked.filter((t) => t !== ' negative').length).toBeGreaterThan(0);
      expect(await tokens.locator('[data-label-rest]').count()).toBeGreaterThan(0);
      const first = tokens.locator('[data-sign]').filter({ hasNotText: 'negative' }).first();
      expect(await first.getAttribute('title')).toMatch(/first of the label word's \d+ tokens, the one ABFT reads/);

      // By their first token "wow" and "wonderful" are the same answer: the preview says so and names the control.
      await page.getByLabel('Label scoring').selectOption('first');
      await page.getByLabel('Label word for class 0').fill('wow');
      const problems = page.getByTestId('prompt-problems');
      await problems.waitFor({ timeout: 30_000 });
      expect(await problems.innerText()).toMatch(/"wow" and "wonderful" both start with the token "w" \(id \d+\).*"Label scoring" beside the label words/);
      await page.getByTestId('prompt-preview').screenshot({ path: 'test-results/data-panel-preview-problem.png' });
      await page.getByLabel('Label scoring').selectOption('sequence');
      await page.getByTestId('prompt-ok').waitFor({ timeout: 30_000 });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
