/**
 * What the user sees when the GPU fails them, and that their data survives it: no WebGPU in the
 * page, the device lost in the middle of a run, an out-of-memory error from the GPU, and a model
 * refused because one of its tensors is larger than a GPU buffer may be. The device loss and the
 * GPU error are caused in the trainer worker itself, through the WebGPU objects it uses.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Worker } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyModelFiles, writeTinyModel } from '../src/model/testing/tiny-models';
import { loadError, loadFolder, loadedSummary, openApp, waitForGpu } from './support/model-panel';
import { openStep } from './support/shell';
import { returningUserContext } from './support/context';
import { useHarness } from './support/harness';

const harness = useHarness({ scratch: 'failures' });

beforeAll(async () => {
  await writeTinyModel(join(harness.folder, 'tiny-llama'), 'llama');
  const huge = join(harness.folder, 'huge-llama');
  await writeTinyModel(huge, 'llama');
  const config = JSON.parse(tinyModelFiles('llama')['config.json'] as string) as Record<string, unknown>;
  await writeFile(join(huge, 'config.json'), JSON.stringify({ ...config, hidden_size: 8192, intermediate_size: 65536, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 128 }));
});

const CSV = 'text,label\na warm film .,positive\na cold film .,negative\nbright .,positive\ngrey .,negative\n';

async function importRows(page: Page): Promise<void> {
  await openStep(page, 'Data');
  await page.getByLabel('Import a data file').setInputFiles({ name: 'kept.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
  await page.getByRole('button', { name: 'Import 4 good rows' }).click();
  await expect.poll(() => page.getByTestId('dataset-name').innerText()).toBe('kept.csv');
  await expect.poll(() => page.getByTestId('data-save-state').getAttribute('data-state')).toBe('saved');
}

async function expectRowsKept(page: Page): Promise<void> {
  await openStep(page, 'Data');
  await expect.poll(() => page.getByTestId('dataset-name').innerText()).toBe('kept.csv');
  expect(await page.getByTestId('dataset-summary').innerText()).toContain('4 rows');
}

/** The trainer worker (src/train/client.ts names it): the import worker has navigator.gpu too, but not the device. */
async function trainerWorker(page: Page): Promise<Worker> {
  await expect.poll(() => page.workers().length).toBeGreaterThan(0);
  for (const worker of page.workers()) if (await worker.evaluate(() => self.name === 'trainer')) return worker;
  throw new Error(`no worker named "trainer" among ${page.workers().map((w) => w.url()).join(', ')}`);
}

/** Starts a long run on the loaded model and waits for its first step. */
async function startRun(page: Page): Promise<void> {
  await openStep(page, 'Train');
  await page.getByLabel('Ablation').selectOption('noHeadFilter');
  await page.getByLabel('Training steps').fill('50');
  await page.getByLabel('Pseudo-batch (prompts per step)').fill('2');
  await page.getByLabel('Micro-batch (prompts per GPU pass)').fill('2');
  await page.getByLabel('Demonstrations per prompt (k)').fill('2');
  await page.getByLabel('Evaluate before and after').setChecked(false);
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect.poll(() => page.getByTestId('training-step').innerText(), { timeout: 60_000 }).toMatch(/step [1-9]\d*\/50/);
}

describe('when the GPU fails', () => {
  it('says WebGPU is missing when the page has no navigator.gpu, and the data still works and persists', async () => {
    const context = await returningUserContext(harness.browser);
    try {
      // As in a browser without WebGPU: the attribute is not there at all.
      await context.addInitScript(() => {
        delete (Navigator.prototype as { gpu?: unknown }).gpu;
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(harness.server.url);
      const status = page.getByTestId('gpu-status');
      await expect.poll(() => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('unavailable');
      expect(await status.innerText()).toMatch(/WebGPU is not available[\s\S]*does not expose WebGPU[\s\S]*Your datasets, settings and run history are kept/);
      expect(await page.getByRole('button', { name: 'Load the demo model (random weights)' }).isDisabled()).toBe(true);
      await importRows(page);
      await page.reload();
      await expect.poll(() => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('unavailable');
      await expectRowsKept(page);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('says the device was lost in the middle of a run, keeps the data, and works again after a reload', { timeout: 240_000 }, async () => {
    const { context, page, errors } = await openApp(harness.browser, harness.server.url);
    try {
      await page.setViewportSize({ width: 1440, height: 1000 });
      await loadFolder(page, join(harness.folder, 'tiny-llama'));
      await loadedSummary(page);
      await importRows(page);
      await startRun(page);
      // The next command the engine records destroys the device, as a driver reset would take it away.
      await (await trainerWorker(page)).evaluate(() => {
        const record = GPUDevice.prototype.createCommandEncoder;
        GPUDevice.prototype.createCommandEncoder = function (this: GPUDevice, ...args: Parameters<typeof record>) {
          this.destroy();
          return record.apply(this, args);
        };
      });
      const status = page.getByTestId('gpu-status');
      await expect.poll(() => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('lost');
      expect(await status.innerText()).toMatch(/The GPU device was lost[\s\S]*your data is kept[\s\S]*Reload the page/);
      await expect.poll(() => page.getByTestId('training-progress').getAttribute('data-state'), { timeout: 60_000 }).toBe('failed');
      expect(await page.getByTestId('training-error').innerText()).toContain('The GPU device was lost');
      await page.screenshot({ path: 'test-results/failure-device-lost.png', fullPage: true });
      await expectRowsKept(page);

      await page.getByRole('button', { name: 'Reload the page' }).click();
      await waitForGpu(page);
      await expectRowsKept(page);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('stops a run on a GPU out-of-memory error with its message, keeps the device and the data', { timeout: 240_000 }, async () => {
    const { context, page, errors } = await openApp(harness.browser, harness.server.url);
    try {
      await loadFolder(page, join(harness.folder, 'tiny-llama'));
      await loadedSummary(page);
      await importRows(page);
      await startRun(page);
      // The GPU answers one allocation with out-of-memory, as WebGPU reports it: an error event on the device.
      await (await trainerWorker(page)).evaluate(() => {
        const record = GPUDevice.prototype.createCommandEncoder;
        let raised = false;
        GPUDevice.prototype.createCommandEncoder = function (this: GPUDevice, ...args: Parameters<typeof record>) {
          if (!raised) {
            raised = true;
            const error = new GPUOutOfMemoryError('Not enough memory left to allocate a buffer of 536870912 bytes.');
            this.dispatchEvent(new GPUUncapturedErrorEvent('uncapturederror', { error }));
          }
          return record.apply(this, args);
        };
      });
      await expect.poll(() => page.getByTestId('training-progress').getAttribute('data-state'), { timeout: 60_000 }).toBe('failed');
      expect(await page.getByTestId('training-error').innerText()).toMatch(/Training stopped with an error:[\s\S]*Not enough memory left to allocate a buffer of 536870912 bytes/);
      expect(await page.getByTestId('gpu-status').getAttribute('data-state')).toBe('ready');
      expect(await page.getByRole('button', { name: 'Start training' }).isEnabled()).toBe(true);
      await expectRowsKept(page);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('refuses a model whose tensor is larger than one GPU buffer, naming the tensor and both sizes, before uploading it', async () => {
    const { context, page, errors } = await openApp(harness.browser, harness.server.url);
    try {
      await loadFolder(page, join(harness.folder, 'huge-llama'));
      expect(await loadError(page)).toMatch(/MLP gate projection \[8192, 65536\] needs 2\.00 GiB in one buffer; this GPU allows at most [\d.]+ [GM]iB per buffer/);
      expect(await page.getByTestId('gpu-status').getAttribute('data-state')).toBe('ready');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
