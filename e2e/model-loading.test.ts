import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModelFiles, writeTinyModel } from '../src/model/testing/tiny-models';
import { startAppServer, type AppServer } from './support/app-server';
import { launchChromium } from './support/chromium';
import { startFakeHub, type FakeHub } from './support/fake-hub';
import { loadError, loadFolder, loadFromHub, loadedSummary, openApp, waitForGpu } from './support/model-panel';

const REPO = 'test-org/tiny-llama';
const GATED = 'test-org/gated-llama';
const STALLED = 'test-org/stalled-llama';

let server: AppServer;
let hub: FakeHub;
let browser: Browser;
let folders: string;

beforeAll(async () => {
  [server, hub, browser, folders] = await Promise.all([
    startAppServer(),
    startFakeHub({ models: { [REPO]: tinyModelFiles('llama'), [STALLED]: tinyModelFiles('llama') }, gated: [GATED], stalled: [STALLED], weightsDelayMs: 1500 }),
    launchChromium({ webgpu: true }),
    mkdtemp(join(tmpdir(), 'abft-model-folders-')),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), hub?.close(), folders && rm(folders, { recursive: true, force: true })]);
});

function appUrl(): string {
  return `${server.url}?hub=${encodeURIComponent(hub.url)}`;
}

describe('loading a model from the Hub', () => {
  it('downloads with progress, loads it on the GPU, and after a reload loads it from the browser cache without any request', async () => {
    const { context, page, errors } = await openApp(browser, appUrl());
    try {
      await loadFromHub(page, REPO);
      const progress = page.getByTestId('model-progress');
      await expect.poll(() => progress.innerText(), { timeout: 30_000 }).toContain('model.safetensors');
      expect(await page.getByRole('progressbar', { name: 'Model loading' }).count()).toBe(1);

      const summary = await loadedSummary(page);
      expect(summary).toContain('LlamaForCausalLM');
      expect(summary).toContain('tokenizer.json');
      expect(await page.getByTestId('model-layers').innerText()).toBe('2');
      expect(await page.getByTestId('model-heads').innerText()).toBe('4 / 2');
      const downloads = hub.requests.length;
      expect(downloads).toBeGreaterThan(0);

      await page.reload();
      await waitForGpu(page);
      // The id typed before the reload is kept.
      expect(await page.getByLabel('Hugging Face Hub model id').inputValue()).toBe(REPO);
      await page.getByRole('button', { name: 'Load from Hub' }).click();
      expect(await loadedSummary(page)).toContain('LlamaForCausalLM');
      expect(hub.requests.slice(downloads)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('cancels a download in progress', async () => {
    const { context, page, errors } = await openApp(browser, appUrl());
    try {
      await loadFromHub(page, STALLED);
      await expect.poll(() => page.getByTestId('model-progress').innerText(), { timeout: 30_000 }).toContain('model.safetensors');
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.getByText('was cancelled while fetching model.safetensors').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('model-summary').count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Load from Hub' }).isEnabled()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows the Hub's answer for an unknown and for a gated repository", async () => {
    const { context, page, errors } = await openApp(browser, appUrl());
    try {
      await loadFromHub(page, 'test-org/no-such-model');
      expect(await loadError(page)).toContain('the model test-org/no-such-model was not found on the Hub');

      await loadFromHub(page, GATED);
      await expect.poll(() => loadError(page)).toContain(`${GATED} is gated`);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('loading a model from a local folder', () => {
  let gpt2: string;
  let gpt2Again: string;
  let broken: string;
  let diverged: string;
  beforeAll(async () => {
    gpt2 = join(folders, 'tiny-gpt2');
    gpt2Again = join(folders, 'tiny-gpt2-seed-1');
    broken = join(folders, 'broken-llama');
    diverged = join(folders, 'diverged-gpt2');
    await writeTinyModel(gpt2, 'gpt2');
    await writeTinyModel(gpt2Again, 'gpt2', { seed: 1 });
    await writeTinyModel(broken, 'llama');
    await writeTinyModel(diverged, 'gpt2', { planted: [{ tensor: 'transformer.h.1.mlp.c_fc.weight', index: 1234, value: Infinity }] });
    const config = JSON.parse(tinyModelFiles('llama')['config.json'] as string) as Record<string, unknown>;
    await writeFile(join(broken, 'config.json'), JSON.stringify({ ...config, architectures: ['MistralForCausalLM'] }));
  });

  it('loads a GPT-2 folder picked with the folder input', async () => {
    const { context, page, errors } = await openApp(browser, server.url);
    try {
      await loadFolder(page, gpt2);
      const summary = await loadedSummary(page);
      expect(summary).toContain('folder tiny-gpt2');
      expect(await page.getByTestId('model-architecture').innerText()).toBe('GPT2LMHeadModel');
      expect(await page.getByTestId('model-heads').innerText()).toBe('4 / 4');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("refuses weights that hold an infinity, naming the file, tensor and element; the next model shows its real GPU memory", async () => {
    const { context, page, errors } = await openApp(browser, server.url);
    try {
      await loadFolder(page, gpt2);
      await loadedSummary(page);
      const memory = await page.getByTestId('model-gpu-memory').innerText();
      expect(memory).toMatch(/^\d+(\.\d+)? KiB \(frozen weights in f(16|32)\)$/);

      await loadFolder(page, diverged);
      expect(await loadError(page)).toContain(
        'model.safetensors: tensor transformer.h.1.mlp.c_fc.weight holds Infinity at element 1234 (of 4096); the file is damaged or was saved from a diverged run; re-download or re-export it.',
      );

      // Uploaded into the buffers the two models before it gave back to the pool.
      await loadFolder(page, gpt2Again);
      await page.getByTestId('model-summary').waitFor({ timeout: 60_000 });
      expect(await page.getByRole('heading', { name: 'folder tiny-gpt2-seed-1' }).count()).toBe(1);
      expect(await page.getByTestId('model-gpu-memory').innerText()).toBe(memory);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('refuses a folder with an unsupported architecture in config.json, keeping the loaded model and the panel usable', async () => {
    const { context, page, errors } = await openApp(browser, server.url);
    try {
      await loadFolder(page, broken);
      expect(await loadError(page)).toContain('architecture MistralForCausalLM is not supported');
      expect(await page.getByTestId('model-summary').count()).toBe(0);

      // The refusal's alert is still up while this loads, so wait for the summary itself.
      await loadFolder(page, gpt2);
      await page.getByTestId('model-summary').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('model-architecture').innerText()).toBe('GPT2LMHeadModel');
      await loadFolder(page, broken);
      await expect.poll(() => page.getByTestId('model-error').count()).toBe(1);
      // Refused before any upload, so the model on the GPU stays.
      expect(await page.getByTestId('model-architecture').innerText()).toBe('GPT2LMHeadModel');
      expect(await page.getByTestId('gpu-status').getAttribute('data-state')).toBe('ready');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
