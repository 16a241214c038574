import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModelFiles, writeTinyModel } from '../src/model/testing/tiny-models';
import { startAppServer, type AppServer } from './support/app-server';
import { launchChromium } from './support/chromium';
import { loadFolder, loadedSummary } from './support/model-panel';

let server: AppServer;
let browser: Browser;
let folder: string;
let app: { context: BrowserContext; page: Page; errors: string[] };

/** The tensor names and metadata of a safetensors file: an 8-byte little-endian header length, then the JSON header. */
function safetensorsHeader(bytes: Uint8Array): { names: string[]; metadata: Record<string, string> } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const { __metadata__: metadata = {}, ...tensors } = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>;
  return { names: Object.keys(tensors).sort(), metadata: metadata as Record<string, string> };
}

beforeAll(async () => {
  [server, browser, folder] = await Promise.all([startAppServer(), launchChromium({ webgpu: true }), mkdtemp(join(tmpdir(), 'abft-training-'))]);
  await writeTinyModel(join(folder, 'tiny-llama'), 'llama');
  // As openApp does, but without expect.poll, which only works inside a test.
  const context = await browser.newContext();
  const page = await context.newPage();
  app = { context, page, errors: [] };
  page.on('pageerror', (e) => app.errors.push(e.message));
  await page.goto(`${server.url}?test`);
  await page.locator('[data-testid="gpu-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
  await loadFolder(page, join(folder, 'tiny-llama'));
  await loadedSummary(page);
});

afterAll(async () => {
  await app?.context.close();
  await browser?.close();
  await Promise.all([server?.close(), folder && rm(folder, { recursive: true, force: true })]);
});

/** Small enough for SwiftShader: 4 prompts per step in micro-batches of 2, every head in the loss, 2 test queries. */
async function configure(page: Page, steps: number): Promise<void> {
  // A random tiny model passes no head under the paper's filter (see src/train/trainer.test.ts).
  await page.getByLabel('Ablation').selectOption('noHeadFilter');
  await page.getByLabel('Training steps').fill(String(steps));
  await page.getByLabel('Pseudo-batch (prompts per step)').fill('4');
  await page.getByLabel('Micro-batch (prompts per GPU pass)').fill('2');
  await page.getByLabel('Test queries (accuracy)').fill('2');
}

/** Measures accuracy on the synthetic test set and returns the accuracy table's rows. */
async function measureAccuracy(page: Page): Promise<string[]> {
  const rows = page.getByTestId('accuracy').locator('tbody tr');
  const before = await rows.count();
  await page.getByRole('button', { name: 'Measure accuracy' }).click();
  await rows.nth(before).waitFor({ timeout: 30_000 });
  return rows.allInnerTexts();
}

const stepText = (page: Page) => page.getByTestId('training-step').innerText();
const runState = (page: Page) => page.getByTestId('training-progress').getAttribute('data-state');

describe('training in the browser (tiny Llama, SwiftShader)', () => {
  it('trains 3 ABFT steps with live metrics, and pauses and resumes between steps', async () => {
    const { page } = app;
    expect(await page.getByTestId('synthetic-note').innerText()).toContain('Synthetic data');
    await configure(page, 3);
    await measureAccuracy(page);
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => stepText(page), { timeout: 30_000 }).toMatch(/step [12]\/3/);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => runState(page), { timeout: 30_000 }).toBe('paused');
    const pausedAt = await stepText(page);
    await page.waitForTimeout(1500);
    expect(await stepText(page)).toBe(pausedAt);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => runState(page), { timeout: 30_000 }).toBe('done');
    expect(await stepText(page)).toBe('step 3/3');
    expect(Number(await page.getByTestId('metric-loss').innerText())).toBeGreaterThan(0);
    expect(await page.getByTestId('metric-punishment').innerText()).toMatch(/^\d+\.\d+ → \d+\.\d+$/);
    // No head filter: every one of the 2 layers × 4 heads takes part.
    expect(await page.getByTestId('metric-passing-heads').innerText()).toBe('8.00');
    expect(await page.getByTestId('training-speed').innerText()).toMatch(/tokens\/s/);
    const norms = await page.locator('[data-testid="delta-norms"] tbody tr').allInnerTexts();
    expect(norms).toHaveLength(2);
    for (const row of norms) for (const v of row.split('\t').slice(1)) expect(Number(v)).toBeGreaterThan(0);
    const rows = await measureAccuracy(page);
    expect(rows.map((r) => r.split('\t')[0])).toEqual(['before training', 'after step 3']);
    for (const row of rows) expect(row).toMatch(/\d+\.\d% *\t *\d+\.\d% *\t *4/);
  });

  it('stops a run between steps', async () => {
    const { page } = app;
    await configure(page, 50);
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect.poll(() => stepText(page), { timeout: 30_000 }).toMatch(/step [1-9]\d*\/50/);
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => runState(page), { timeout: 30_000 }).toBe('stopped');
    const [done] = (await stepText(page)).match(/\d+/)!;
    expect(Number(done)).toBeLessThan(50);
    expect(await page.getByRole('button', { name: 'Start training' }).isEnabled()).toBe(true);
  });

  it('saves the stopped run as a checkpoint in the browser and restores it', async () => {
    const { saved, restored } = await app.page.evaluate(async () => {
      const client = window.__abft!.client;
      const saved = await client.request({ type: 'save-checkpoint', name: 'e2e-run' });
      const restored = await client.request({ type: 'restore-checkpoint', name: 'e2e-run', data: { kind: 'synthetic', size: 256, seed: 1 } });
      return { saved: saved.checkpoints.map((c) => c.name), restored: { stepsDone: restored.stepsDone, steps: restored.options.steps } };
    });
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
});
