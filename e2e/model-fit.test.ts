/**
 * The Model panel sizes a Hub model before downloading it: the bundled configs of the suggested
 * models need no request, "Check size" fetches config.json alone, and a download shows bytes,
 * speed and time left. Against the fake Hub on loopback.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModelFiles } from '../src/model/testing/tiny-models';
import { startAppServer, type AppServer } from './support/app-server';
import { launchChromium } from './support/chromium';
import { startFakeHub, type FakeHub } from './support/fake-hub';
import { loadedSummary, openApp } from './support/model-panel';

const TINY = 'test-org/tiny-llama';
const HUGE = 'test-org/huge-llama';
// A Llama whose MLP matrices (8192 × 65536 f32, 2 GiB each) exceed SwiftShader's 1 GiB buffers.
const HUGE_CONFIG = JSON.stringify({
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 8192,
  intermediate_size: 65536,
  num_attention_heads: 64,
  num_key_value_heads: 8,
  num_hidden_layers: 32,
  vocab_size: 32000,
  max_position_embeddings: 4096,
  rms_norm_eps: 1e-5,
  tie_word_embeddings: false,
});

let server: AppServer;
let hub: FakeHub;
let browser: Browser;

beforeAll(async () => {
  [server, hub, browser] = await Promise.all([
    startAppServer(),
    startFakeHub({ models: { [TINY]: tinyModelFiles('llama'), [HUGE]: { 'config.json': HUGE_CONFIG } }, weightsDelayMs: 2500 }),
    launchChromium({ webgpu: true }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), hub?.close()]);
});

const appUrl = () => `${server.url}?hub=${encodeURIComponent(hub.url)}`;

describe('the size of a Hub model, before its weights are downloaded', () => {
  it('lists the suggested models with their sizes and verdicts, and sizes a picked one without any request', async () => {
    const { context, page, errors } = await openApp(browser, appUrl());
    try {
      const rows = page.getByTestId('suggested-model');
      expect(await rows.count()).toBe(8);
      expect(await page.getByTestId('suggested-models').innerText()).toMatch(/openai-community\/gpt2-large[\s\S]*774M/);
      expect(await page.getByTestId('suggested-models').innerText()).toMatch(/google\/gemma-3-270m\s+Gemma 3 family[^\n]*needs an access token\s+268M/);
      expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-verdict')))).toEqual(Array(8).fill('fits'));

      const before = hub.requests.length;
      await page.getByRole('button', { name: 'Use HuggingFaceTB/SmolLM2-360M' }).click();
      expect(await page.getByLabel('Hugging Face Hub model id').inputValue()).toBe('HuggingFaceTB/SmolLM2-360M');
      const fit = page.getByTestId('model-fit');
      expect(await fit.getAttribute('data-verdict')).toBe('fits');
      expect(await fit.innerText()).toMatch(/HuggingFaceTB\/SmolLM2-360M@main fits this GPU[\s\S]*362M[\s\S]*allowed per buffer \(max\w+Size\)[\s\S]*WebGPU does not tell/);
      expect(hub.requests.slice(before)).toEqual([]);
      await page.getByTestId('model-panel').screenshot({ path: 'test-results/model-fit.png' });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('fetches config.json alone on "Check size" and says why a model is too big', async () => {
    const { context, page, errors } = await openApp(browser, appUrl());
    try {
      const before = hub.requests.length;
      await page.getByLabel('Hugging Face Hub model id').fill(HUGE);
      await page.getByRole('button', { name: 'Check size' }).click();
      const fit = page.getByTestId('model-fit');
      await expect.poll(() => fit.getAttribute('data-verdict'), { timeout: 30_000 }).toBe('too-big');
      expect(await fit.innerText()).toMatch(/is too big for this GPU[\s\S]*MLP (gate|up|down) projection \[\d+, \d+\] needs 2\.00 GiB in one buffer; this GPU allows at most [\d.]+ [GM]iB per buffer/);
      expect(hub.requests.slice(before)).toEqual([`GET /${HUGE}/resolve/main/config.json`]);
      await page.getByTestId('model-fit').screenshot({ path: 'test-results/model-fit-too-big.png' });

      await page.getByLabel('Hugging Face Hub model id').fill('test-org/no-such-model');
      await page.getByRole('button', { name: 'Check size' }).click();
      await expect.poll(() => page.getByTestId('model-fit-error').innerText(), { timeout: 30_000 }).toContain('test-org/no-such-model@main was not found on the Hub');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('checks a model that fits, then downloads it with bytes, speed and time left', async () => {
    const { context, page, errors } = await openApp(browser, appUrl());
    try {
      await page.getByLabel('Hugging Face Hub model id').fill(TINY);
      await page.getByRole('button', { name: 'Check size' }).click();
      await expect.poll(() => page.getByTestId('model-fit').getAttribute('data-verdict'), { timeout: 30_000 }).toBe('fits');

      await page.getByRole('button', { name: 'Load from Hub' }).click();
      // The weights' second half comes 2.5 s after the first: the bar shows how far, how fast, and how long still.
      await expect.poll(() => page.getByTestId('model-progress-bytes').innerText(), { timeout: 30_000 }).toMatch(/^[\d.]+ (B|KiB) of [\d.]+ KiB$/);
      await expect.poll(() => page.getByTestId('model-progress-speed').innerText(), { timeout: 30_000 }).toMatch(/^[\d.]+ (B|KiB|MiB)\/s · about \d+ (s|min \d+ s) left$/);
      expect(await loadedSummary(page)).toContain('LlamaForCausalLM');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
