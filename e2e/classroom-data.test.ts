import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { classroomPresetData } from '../src/data/classroom-presets';
import { writeTinyModel } from '../src/model/testing/tiny-models';
import { loadedSummary, loadFolder, openApp, waitForGpu } from './support/model-panel';
import { useHarness } from './support/harness';

const harness = useHarness({ scratch: 'classroom' });

beforeAll(async () => {
  await writeTinyModel(join(harness.folder, 'tiny-llama'), 'llama');
});

async function openDataStep(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: /Data/ }).click();
  await page.getByTestId('data-panel').waitFor();
}

it('picks a held-out classroom task in the Data panel: its rows, split and prompt preview, kept over a reload', async () => {
  const expected = classroomPresetData('classroom/word-last');
  const [word0, word1] = expected.template.labelWords;
  const { context, page, errors } = await openApp(harness.browser, harness.server.url);
  try {
    await page.setViewportSize({ width: 1360, height: 1000 });
    await openDataStep(page);
    const tasks = page.getByRole('group', { name: 'Classroom tasks' });
    expect(await tasks.getByRole('button').allInnerTexts()).toHaveLength(8);
    await tasks.getByRole('button', { name: /^word-last/ }).click();
    expect(await page.locator('.preset-picker .preset-about').innerText()).toMatch(/^Held-out family .*: the last word .* 512 training rows · 256 test queries not in the pool · built in\. Made for the classroom model/);
    await page.getByRole('button', { name: 'Use this task' }).click();

    const shows = async () => {
      await expect.poll(() => page.getByTestId('dataset-name').innerText()).toBe('Classroom: word-last');
      expect(await page.getByTestId('dataset-summary').innerText()).toMatch(/768 rows · 512 training · 256 test queries · 2 classes/);
      expect(await page.getByLabel('Text of row 1', { exact: true }).inputValue()).toBe(expected.pool[0].text);
      expect(await page.getByLabel('Input prefix').inputValue()).toBe('Input: ');
      expect(await page.getByLabel('Label word for class 0').inputValue()).toBe(word0);
      // The preview is the classroom prompt: demonstration lines ending in their label words, then the query.
      const preview = await page.getByTestId('prompt-preview').locator('.prompt-text').innerText();
      expect(preview).toMatch(new RegExp(`^(Input: [a-z ]+ Label: (${word0}|${word1})\\n){4}Input: [a-z ]+ Label: $`));
      expect(await page.getByRole('group', { name: 'Classroom tasks' }).getByRole('button', { name: /^word-last/ }).getAttribute('aria-pressed')).toBe('true');
    };
    await shows();
    await expect.poll(() => page.getByTestId('data-save-state').getAttribute('data-state')).toBe('saved');
    await page.screenshot({ path: 'test-results/classroom-data.png', fullPage: true });

    await page.reload();
    await waitForGpu(page);
    await openDataStep(page);
    await shows();
    expect(await page.getByRole('button', { name: 'In use' }).isDisabled()).toBe(true);

    // With a model of another tokenizer the rows are plain text: the preview tokenizes them and marks the 4 label words.
    await page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: /Model/ }).click();
    await loadFolder(page, join(harness.folder, 'tiny-llama'));
    await loadedSummary(page);
    await openDataStep(page);
    await page.getByTestId('prompt-ok').waitFor({ timeout: 30_000 });
    const signs = await page.getByTestId('prompt-tokens').locator('[data-sign]').evaluateAll((spans) => spans.map((s) => s.getAttribute('data-sign')));
    expect(signs.filter((s) => s === 'plus' || s === 'minus')).toHaveLength(4);
    await page.getByTestId('prompt-preview').screenshot({ path: 'test-results/classroom-data-tokens.png' });
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});
