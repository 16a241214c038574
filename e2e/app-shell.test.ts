import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from './support/app-server';
import { launchChromium } from './support/chromium';

let server: AppServer;

beforeAll(async () => {
  server = await startAppServer();
});

afterAll(async () => {
  await server?.close();
});

describe('app shell in headless Chromium with WebGPU (SwiftShader)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium({ webgpu: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('finds the adapter and passes the GPU self-check in the trainer worker', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    const status = page.getByTestId('gpu-status');
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
    console.log(`Browser WebGPU adapter: ${await status.locator('strong').innerText()}`);
    await page.getByRole('button', { name: 'Run self-check' }).click();
    const summary = page.getByTestId('self-check-summary');
    await summary.waitFor({ timeout: 240_000 });
    const rows = await page.locator('table.results tbody tr').allInnerTexts();
    console.log(`Browser self-check:\n${rows.join('\n')}`);
    expect(await summary.getAttribute('data-passed')).toBe('true');
    expect(rows.length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});

describe('app shell in Chromium without WebGPU', () => {
  it('says in the page that WebGPU is unavailable and how to enable it', async () => {
    const browser = await launchChromium({ webgpu: false });
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      const status = page.getByTestId('gpu-status');
      await expect.poll(() => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('unavailable');
      const text = await status.innerText();
      expect(text).toContain('WebGPU is not available');
      expect(text).toMatch(/enable-unsafe-webgpu/);
      await expect.poll(() => page.getByRole('button', { name: 'Run self-check' }).isDisabled()).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
