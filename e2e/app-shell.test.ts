import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from './support/app-server';
import { launchChromium } from './support/chromium';
import { offlineContext } from './support/offline';
import { openGpuSection } from './support/shell';
import { returningUserContext } from './support/context';

let server: AppServer;

beforeAll(async () => {
  server = await startAppServer();
});

afterAll(async () => {
  await server?.close();
});

const currentStep = (page: Page) => page.locator('nav[aria-label="Steps"] [aria-current="step"]').innerText();

describe('app shell in headless Chromium with WebGPU (SwiftShader)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium({ webgpu: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('finds the adapter and passes the GPU self-check in the trainer worker', async () => {
    const page = await (await returningUserContext(browser)).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    const status = page.getByTestId('gpu-status');
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
    console.log(`Browser WebGPU adapter: ${await status.locator('strong').innerText()}`);
    await openGpuSection(page);
    await page.getByRole('button', { name: 'Run self-check' }).click();
    const summary = page.getByTestId('self-check-summary');
    await summary.waitFor({ timeout: 240_000 });
    const rows = await page.locator('table.results tbody tr').allInnerTexts();
    console.log(`Browser self-check:\n${rows.join('\n')}`);
    expect(await summary.getAttribute('data-passed')).toBe('true');
    expect(rows.length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('opens with no network and loads the bundled demo model, saying its weights are random', async () => {
    const { context, outside } = await offlineContext(browser, server.url);
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      const demo = page.getByTestId('demo-model');
      expect(await demo.innerText()).toMatch(/weights are random/i);
      await page.getByRole('button', { name: 'Load the demo model (random weights)' }).click();
      await page.getByTestId('model-summary').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('model-summary').locator('h3').innerText()).toBe('demo tiny Llama (random weights)');
      expect(await page.getByTestId('model-layers').innerText()).toBe('4');
      expect(await page.getByTestId('model-heads').innerText()).toBe('4 / 2');
      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('moves between the steps with the keyboard, one panel shown at a time', async () => {
    const page = await (await returningUserContext(browser)).newPage();
    try {
      await page.goto(server.url);
      expect(await currentStep(page)).toMatch(/Model$/);
      await page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: 'Model', exact: true }).focus();
      await page.keyboard.press('ArrowRight');
      expect(await currentStep(page)).toMatch(/Data$/);
      expect(await page.getByTestId('data-panel').isVisible()).toBe(true);
      expect(await page.getByTestId('model-panel').isVisible()).toBe(false);
      await page.keyboard.press('End');
      expect(await currentStep(page)).toMatch(/Explore$/);
      expect(await page.title()).toBe('Explore · ABFT Studio');
      // Focus moves with the current step, so the arrow keys go on from there.
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-current'))).toBe('step');
      await page.keyboard.press('ArrowRight');
      expect(await currentStep(page)).toMatch(/Model$/);
      expect(await page.getByTestId('model-panel').isVisible()).toBe(true);
    } finally {
      await page.context().close();
    }
  });

  it("follows the system's color scheme until the toggle picks one, which a reload keeps", async () => {
    const context = await returningUserContext(browser, { colorScheme: 'dark' });
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
      expect(await theme()).toBe('dark');
      await page.getByRole('button', { name: 'Switch to the light theme' }).click();
      expect(await theme()).toBe('light');
      await page.reload();
      expect(await theme()).toBe('light');
      expect(await page.getByRole('button', { name: 'Switch to the dark theme' }).count()).toBe(1);
    } finally {
      await context.close();
    }
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
      expect(await status.isVisible()).toBe(true);
      expect(await page.getByRole('button', { name: 'Load the demo model (random weights)' }).isDisabled()).toBe(true);
      await mkdir('test-results', { recursive: true });
      await page.screenshot({ path: 'test-results/shell-no-webgpu.png' });
      await openGpuSection(page);
      await expect.poll(() => page.getByRole('button', { name: 'Run self-check' }).isDisabled()).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
