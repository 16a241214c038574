import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModelFiles } from '../src/model/testing/tiny-models';
import { startAppServer, type AppServer } from './support/app-server';
import { launchChromium } from './support/chromium';
import { startFakeHub, type FakeHub } from './support/fake-hub';
import { loadFromHub, loadedSummary, openApp } from './support/model-panel';

const REPO = 'test-org/tiny-llama';
const OTHER = 'test-org/other-llama';
const TOKEN = 'hf_e2eSecretToken';

let server: AppServer;
/** A server a crafted link names with ?hub=: it records whatever reaches it. */
let evil: FakeHub;
/** A Hub endpoint that sends the weights on to another origin, as huggingface.co sends them to its CDN. */
let hub: FakeHub;
let cdn: FakeHub;
let browser: Browser;

beforeAll(async () => {
  const models = { [REPO]: tinyModelFiles('llama'), [OTHER]: tinyModelFiles('llama') };
  cdn = await startFakeHub({ models });
  [server, evil, hub, browser] = await Promise.all([
    startAppServer(),
    startFakeHub({ models }),
    startFakeHub({ models, redirectWeightsTo: cdn.url }),
    launchChromium({ webgpu: true }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), evil?.close(), hub?.close(), cdn?.close()]);
});

const appUrl = (endpoint: string) => `${server.url}?hub=${encodeURIComponent(endpoint)}`;
const tokenStatus = (page: Page) => page.getByTestId('hub-token-endpoint');

async function checkSize(page: Page, repo: string): Promise<void> {
  await page.getByLabel('Hugging Face Hub model id').fill(repo);
  await page.getByRole('button', { name: 'Check size' }).click();
  await expect.poll(() => page.getByTestId('model-fit').getAttribute('data-verdict'), { timeout: 30_000 }).toBe('fits');
}

describe('the Hub access token', () => {
  it('never goes to an endpoint a ?hub= link names until the user trusts it in the page; a reload keeps the choice, which can be revoked', async () => {
    const { context, page, errors } = await openApp(browser, appUrl(evil.url));
    try {
      await page.getByLabel('Access token (gated models)').fill(TOKEN);
      await loadFromHub(page, REPO);
      expect(await loadedSummary(page)).toContain('LlamaForCausalLM');
      await checkSize(page, REPO);
      expect(evil.requests.length).toBeGreaterThan(0);
      expect(evil.authorizations).toEqual([]);
      expect(await page.getByLabel('Hub endpoint').inputValue()).toBe(evil.url);
      expect(await tokenStatus(page).getAttribute('data-state')).toBe('untrusted');
      expect(await tokenStatus(page).innerText()).toContain(`not sent to ${evil.url}`);
      await page.locator('.hub-form').screenshot({ path: 'test-results/hub-token-untrusted.png' });

      // What a link's endpoint served stays apart: the same id from another endpoint is downloaded from there.
      await page.getByLabel('Hub endpoint').fill(hub.url);
      await loadFromHub(page, REPO);
      await expect.poll(() => page.getByRole('button', { name: 'Load from Hub' }).isEnabled(), { timeout: 60_000 }).toBe(true);
      expect(await loadedSummary(page)).toContain('LlamaForCausalLM');
      expect(hub.requests).toContain(`GET /${REPO}/resolve/main/config.json`);
      // The cache list is read again once the download is stored, which may land after the load ends.
      await expect.poll(() => page.locator('.cached-models li').count(), { timeout: 30_000 }).toBe(2);
      const cached = await page.locator('.cached-models li').allTextContents();
      expect(cached).toEqual(expect.arrayContaining([expect.stringContaining(`${REPO}@main from ${hub.url}`), expect.stringContaining(`${REPO}@main from ${evil.url}`)]));
      await page.getByLabel('Hub endpoint').fill(evil.url);

      await page.getByRole('button', { name: `Trust ${evil.url} with the token` }).click();
      expect(await tokenStatus(page).getAttribute('data-state')).toBe('trusted');
      await loadFromHub(page, OTHER);
      // The first model's summary stays until the second one is on the GPU.
      await expect.poll(() => loadedSummary(page), { timeout: 60_000 }).toContain(OTHER);
      expect(evil.authorizations).toContain(`GET /${OTHER}/resolve/main/model.safetensors: Bearer ${TOKEN}`);

      // The confirmation is kept for the origin; the token itself never is.
      await page.reload();
      expect(await page.getByLabel('Access token (gated models)').inputValue()).toBe('');
      expect(await tokenStatus(page).getAttribute('data-state')).toBe('trusted');
      await page.getByLabel('Access token (gated models)').fill(TOKEN);
      const sent = evil.authorizations.length;
      await checkSize(page, REPO);
      expect(evil.authorizations.slice(sent)).toEqual([`GET /${REPO}/resolve/main/config.json: Bearer ${TOKEN}`]);

      await page.getByRole('button', { name: `Stop trusting ${evil.url}` }).click();
      expect(await tokenStatus(page).getAttribute('data-state')).toBe('untrusted');
      const requests = evil.requests.length;
      await checkSize(page, OTHER);
      expect(evil.requests.length).toBeGreaterThan(requests);
      expect(evil.authorizations.length).toBe(sent + 1);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('goes to a trusted endpoint but not on to the other origin its weights are redirected to', async () => {
    const { context, page, errors } = await openApp(browser, appUrl(hub.url));
    try {
      await page.getByRole('button', { name: `Trust ${hub.url} with the token` }).click();
      await page.getByLabel('Access token (gated models)').fill(TOKEN);
      await loadFromHub(page, REPO);
      expect(await loadedSummary(page)).toContain('LlamaForCausalLM');
      expect(hub.authorizations).toContain(`GET /${REPO}/resolve/main/config.json: Bearer ${TOKEN}`);
      expect(hub.authorizations).toContain(`GET /${REPO}/resolve/main/model.safetensors: Bearer ${TOKEN}`);
      expect(cdn.requests).toContain(`GET /${REPO}/resolve/main/model.safetensors`);
      expect(cdn.authorizations).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
