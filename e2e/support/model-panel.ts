/** Driving the Model panel of the app the way a user does, for the browser tests. */
import { expect } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { returningUserContext } from './context';

export interface AppPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught errors of the page (its workers' errors reach the page as failed requests). */
  readonly errors: string[];
}

/** A fresh profile (empty Cache Storage and localStorage) with the app open and its GPU ready. */
export async function openApp(browser: Browser, url: string): Promise<AppPage> {
  const context = await returningUserContext(browser);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await waitForGpu(page);
  return { context, page, errors };
}

/**
 * As openApp, for a suite's beforeAll (expect.poll only works inside a test): the app at `url`
 * with its GPU ready and the tiny model from `modelDir` loaded.
 */
export async function openAppWithModel(browser: Browser, url: string, modelDir: string): Promise<AppPage> {
  const context = await returningUserContext(browser);
  const page = await context.newPage();
  const app = { context, page, errors: [] as string[] };
  page.on('pageerror', (e) => app.errors.push(e.message));
  await page.goto(url);
  await page.locator('[data-testid="gpu-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
  await loadFolder(page, modelDir);
  await loadedSummary(page);
  return app;
}

export async function waitForGpu(page: Page): Promise<void> {
  const status = page.getByTestId('gpu-status');
  await expect.poll(() => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
}

export async function loadFromHub(page: Page, repo: string): Promise<void> {
  await page.getByLabel('Hugging Face Hub model id').fill(repo);
  await page.getByRole('button', { name: 'Load from Hub' }).click();
}

export async function loadFolder(page: Page, dir: string): Promise<void> {
  await page.getByLabel('Open local folder').setInputFiles(dir);
}

/** Waits for the load to end and returns the summary's text; fails with the panel's error if there is one. */
export async function loadedSummary(page: Page): Promise<string> {
  const summary = page.getByTestId('model-summary');
  const error = page.getByTestId('model-error');
  await summary.or(error).first().waitFor({ timeout: 60_000 });
  if (await error.isVisible()) throw new Error(`the model did not load: ${await error.innerText()}`);
  return summary.innerText();
}

export async function loadError(page: Page): Promise<string> {
  const error = page.getByRole('alert').filter({ hasText: 'could not be loaded' });
  await error.waitFor({ timeout: 60_000 });
  return error.innerText();
}
