/**
 * Browser profiles for the tests. The app's first open in a profile loads the classroom model and
 * its task by itself (src/store/first-open.ts); tests of anything else open it as a returning user,
 * for whom it has happened already, so that what they load and the data they check are theirs.
 */
import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core';
import { FIRST_OPEN_KEY } from '../../src/store/first-open-key';

export async function returningUserContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  await context.addInitScript((key) => {
    if (localStorage.getItem(key) === null) localStorage.setItem(key, 'returning user (e2e)');
  }, FIRST_OPEN_KEY);
  return context;
}
