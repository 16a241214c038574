/** A browser context with no network but the app's own server, as a user offline has it. */
import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core';
import { returningUserContext } from './context';

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
