import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../src/model/testing/tiny-models';
import { loadFolder, loadedSummary, type AppPage } from './support/model-panel';
import { openStep } from './support/shell';
import { returningUserContext } from './support/context';
import { useHarness } from './support/harness';

/** The tiny Llama: 2 layers × 4 heads. */
const LAYERS = 2;
const HEADS = 4;
/** The heatmap's axis gutters (src/ui/explore/heatmap-draw.ts). */
const GUTTER = { left: 68, top: 60 };
const LONG_TOKENS = 1000;

const harness = useHarness({ scratch: 'explore' });
let app: AppPage;

beforeAll(async () => {
  const model = join(harness.folder, 'tiny-llama');
  await writeTinyModel(model, 'llama');
  // RoPE has no position table, so the tiny model can take the 1,000-token prompt once its config allows it.
  const config = JSON.parse(await readFile(join(model, 'config.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(model, 'config.json'), JSON.stringify({ ...config, max_position_embeddings: 1024 }));
  await mkdir('test-results', { recursive: true });
  // As openApp does, but without expect.poll, which only works inside a test.
  const context = await returningUserContext(harness.browser, { viewport: { width: 1280, height: 1100 } });
  const page = await context.newPage();
  app = { context, page, errors: [] };
  page.on('pageerror', (e) => app.errors.push(e.message));
  await page.goto(`${harness.server.url}?test`);
  await page.locator('[data-testid="gpu-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
  await loadFolder(app.page, model);
  await loadedSummary(app.page);
  await openStep(app.page, 'Explore');
});

afterAll(async () => {
  await app?.context.close();
});

const panel = (page: Page) => page.getByTestId('explore-panel');

async function showPrompt(page: Page, text: string): Promise<void> {
  await page.getByLabel('Prompt to explore').fill(text);
  await page.getByRole('button', { name: 'Show attention' }).click();
}

/** Distinct colours among the canvas's pixels: 1 for a blank canvas. */
function distinctColours(canvas: Locator): Promise<number> {
  return canvas.evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2] | (data[i + 3] << 24));
    return colours.size;
  });
}

/** Moves the pointer to the centre of heatmap cell (row, col) at the fitted zoom. */
async function hoverCell(page: Page, canvas: Locator, tokens: number, row: number, col: number): Promise<void> {
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  const size = box.width - GUTTER.left - 8;
  const cell = size / tokens;
  await page.mouse.move(box.x + GUTTER.left + (col + 0.5) * cell, box.y + GUTTER.top + (row + 0.5) * cell);
}

/** A prompt of close to `count` tokens (never more) of the loaded tokenizer: review lines repeated, then padding words. */
async function textOfTokens(page: Page, count: number): Promise<string> {
  const line = 'review: a gorgeous film . sentiment: positive\n';
  const tokens = (text: string) =>
    page.evaluate(async (t) => (await window.__abft!.client.request({ type: 'attention', input: { kind: 'text', text: t }, rows: 'last', layers: [0], heads: [0] })).attention.tokens, text);
  const perLine = (await tokens(line)).length;
  let text = line.repeat(Math.floor(count / perLine));
  const have = (await tokens(text)).length;
  const perPad = ((await tokens(text + ' film'.repeat(8))).length - have) / 8;
  text += ' film'.repeat(Math.floor((count - have) / perPad));
  const length = (await tokens(text)).length;
  expect(length).toBeLessThanOrEqual(count);
  expect(length).toBeGreaterThan(count - 2 * perPad);
  return text;
}

const tokenCount = async (page: Page) => Number((await page.getByTestId('overview-status').innerText()).match(/^([\d,]+) tokens/)?.[1].replace(/,/g, '') ?? NaN);

describe('attention explorer (tiny Llama, SwiftShader)', () => {
  it('shows a thumbnail for every layer × head of a typed prompt', async () => {
    const { page } = app;
    await showPrompt(page, 'review: a gorgeous film . sentiment: positive\nreview: dull and slow . sentiment: negative\nreview: a warm story . sentiment: ');
    await expect.poll(() => page.getByTestId('thumbnail').count(), { timeout: 60_000 }).toBe(LAYERS * HEADS);
    expect(await tokenCount(page)).toBeGreaterThan(10);
    expect(await page.getByTestId('overview-status').innerText()).toMatch(/2 label tokens/);
    expect(await distinctColours(page.locator('[data-testid="thumbnail"] canvas').first())).toBeGreaterThan(1);
  });

  it('opens a head: a drawn heatmap whose cells tell their tokens and weight, and one bar per token', async () => {
    const { page } = app;
    await page.locator('[data-testid="thumbnail"][data-layer="1"][data-head="2"]').click();
    const canvas = page.getByTestId('heatmap-canvas');
    await canvas.waitFor({ timeout: 60_000 });
    await expect.poll(() => distinctColours(canvas), { timeout: 10_000 }).toBeGreaterThan(20);
    const T = await tokenCount(page);
    await hoverCell(page, canvas, T, T - 1, 3);
    const tooltip = page.getByTestId('heatmap-tooltip');
    await tooltip.waitFor();
    const text = await tooltip.innerText();
    expect(text).toMatch(new RegExp(`query[\\s\\S]*#${T - 1}`));
    expect(text).toMatch(/key[\s\S]*#3/);
    expect(text).toMatch(/fine-tuned\s+0\.\d{3}/);
    expect(Number(await page.getByTestId('last-row-bars').getAttribute('data-bars'))).toBe(T);
    await page.screenshot({ path: 'test-results/explore-head.png', fullPage: true });
  });

  it('after 2 training steps, fine-tuned differs from base', { timeout: 240_000 }, async () => {
    const { page } = app;
    await openStep(page, 'Train');
    await page.getByLabel('Ablation').selectOption('noHeadFilter');
    await page.getByLabel('Training steps').fill('2');
    await page.getByLabel('Pseudo-batch (prompts per step)').fill('2');
    await page.getByLabel('Micro-batch (prompts per GPU pass)').fill('2');
    await page.getByLabel('Learning rate').fill('0.05');
    // Accuracy is measured before and after a run; 2 queries keep that short on SwiftShader (75 s in all on an idle
    // 2-core machine, twice that on a busy one: the wait below leaves room for it).
    await page.getByLabel('Test queries (evaluation)').fill('2');
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => page.getByTestId('training-progress').getAttribute('data-state'), { timeout: 200_000 }).toBe('done');
    await openStep(page, 'Explore');
    await panel(page).getByRole('button', { name: 'Difference' }).click();
    const scaleEnd = page.locator('.ex-scale > span').nth(2);
    await expect.poll(async () => Math.abs(Number(await scaleEnd.innerText().catch(() => '0'))), { timeout: 60_000 }).toBeGreaterThan(1e-5);
    expect(await distinctColours(page.getByTestId('heatmap-canvas'))).toBeGreaterThan(20);
    await page.screenshot({ path: 'test-results/explore-difference.png', fullPage: true });
    await panel(page).getByRole('button', { name: 'Side by side' }).click();
    await expect.poll(() => page.getByTestId('heatmap-canvas').count(), { timeout: 60_000 }).toBe(2);
    await page.screenshot({ path: 'test-results/explore-side-by-side.png', fullPage: true });
    await panel(page).getByRole('button', { name: 'Fine-tuned' }).click();
  });

  it(`renders the open head of a ${LONG_TOKENS}-token prompt in a few seconds`, async () => {
    const { page } = app;
    const text = await textOfTokens(page, LONG_TOKENS);
    const started = Date.now();
    await showPrompt(page, text);
    const T = await expect.poll(() => tokenCount(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(LONG_TOKENS - 10).then(() => tokenCount(page));
    const timing = page.getByTestId('head-timing');
    await expect.poll(() => timing.innerText(), { timeout: 60_000 }).toMatch(new RegExp(`${T.toLocaleString('en-US')} tokens · fetched in`));
    await expect.poll(() => distinctColours(page.getByTestId('heatmap-canvas')), { timeout: 10_000 }).toBeGreaterThan(20);
    const ms = Date.now() - started;
    console.log(`explore: ${T}-token prompt, thumbnails + opened head drawn ${ms} ms after "Show attention"; ${await timing.innerText()}`);
    expect(ms).toBeLessThan(20_000);
    await hoverCell(page, page.getByTestId('heatmap-canvas'), T, T - 1, T - 2);
    await page.getByTestId('heatmap-tooltip').waitFor();
    await page.screenshot({ path: 'test-results/explore-long.png', fullPage: true });
    expect(app.errors).toEqual([]);
  });
});
