/** A browser context with no network but the app's own server, as a user offline has it. */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { returningUserContext } from './context';
import { waitForGpu } from './model-panel';

export interface OfflineContext {
  readonly context: BrowserContext;
  /** Every request to another origin, which failed. */
  readonly outside: string[];
}

/** `profile` 'new': a profile that never opened the app, whose first open loads the classroom model. */
export async function offlineContext(browser: Browser, appUrl: string, options: BrowserContextOptions = {}, profile: 'new' | 'returning' = 'returning'): Promise<OfflineContext> {
  const context = profile === 'new' ? await browser.newContext(options) : await returningUserContext(browser, options);
  const origin = new URL(appUrl).origin;
  const outside: string[] = [];
  await context.route('**/*', (route) => {
    if (new URL(route.request().url()).origin === origin) return route.continue();
    outside.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  return { context, outside };
}

/** As openApp (model-panel.ts), offline: the app at `appUrl` in a page of an offline context, its GPU ready, with the page's errors collected. */
export async function openOfflineApp(
  browser: Browser,
  appUrl: string,
  options: BrowserContextOptions = {},
  profile: 'new' | 'returning' = 'returning',
): Promise<OfflineContext & { readonly page: Page; readonly errors: string[] }> {
  const offline = await offlineContext(browser, appUrl, options, profile);
  const page = await offline.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(appUrl);
  await waitForGpu(page);
  return { ...offline, page, errors };
}
