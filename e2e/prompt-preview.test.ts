/**
 * The Data step's prompt preview under hostile data, with the bundled demo model: a change of data
 * shows "updating" until its answer arrives, a long prompt draws a bounded number of token spans, a
 * 5 MB row is named without our code holding the main thread or filling the page's memory, and
 * Start training is off, with the reason, while the preview reports a problem that would stop the run.
 */
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODEL } from '../src/demo-model';
import { SHOWN_TOKENS } from '../src/worker/preview-host';
import { loadedSummary } from './support/model-panel';
import { openStep } from './support/shell';
import { returningUserContext } from './support/context';
import { useHarness } from './support/harness';

interface LongFrame {
  readonly start: number;
  readonly duration: number;
  /** The scripts that ran in the frame, with the layout they forced. */
  readonly scripts: readonly { readonly source: string; readonly invoker: string; readonly duration: number; readonly forcedLayout: number }[];
}

declare global {
  interface Window {
    /** Long animation frames (> 50 ms) of the page's main thread, as the PerformanceObserver reports them. */
    __longFrames: LongFrame[];
    /** What the prompt preview showed at each change of its DOM: whether it said "updating", and its facts line. */
    __previewStates: { updating: boolean; facts: string }[];
  }
}

const LONG_ROW = 'the film goes on and on '.repeat(218_000);
const SHORT_ROWS = ['a fine film .,positive', 'a dull film .,negative', 'great acting .,positive', 'a boring plot .,negative', 'a lovely score .,positive', 'a weak ending .,negative'];

const harness = useHarness();
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
const errors: string[] = [];

beforeAll(async () => {
  context = await returningUserContext(harness.browser, { viewport: { width: 1360, height: 1000 } });
  await context.addInitScript(() => {
    window.__longFrames = [];
    type Frame = PerformanceEntry & { scripts: { sourceURL: string; invoker: string; duration: number; forcedStyleAndLayoutDuration: number }[] };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as Frame[]) {
        const scripts = e.scripts.map((s) => ({ source: s.sourceURL, invoker: s.invoker, duration: s.duration, forcedLayout: s.forcedStyleAndLayoutDuration }));
        window.__longFrames.push({ start: e.startTime, duration: e.duration, scripts });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(harness.server.url);
  // As openAppWithModel: expect.poll only works inside a test.
  await page.locator('[data-testid="gpu-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Load the demo model (random weights)' }).click();
  expect(await loadedSummary(page)).toContain(DEMO_MODEL.label);
  await openStep(page, 'Data');
  await page.getByTestId('prompt-ok').waitFor({ timeout: 60_000 });
});

afterAll(async () => {
  await context?.close();
});

async function jsHeapMB(): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize')!.value / 2 ** 20;
}

const now = () => page.evaluate(() => performance.now());
const facts = () => page.getByTestId('prompt-facts').innerText();
const problems = () => page.getByTestId('prompt-problems').innerText().catch(() => '');
const startButton = () => page.getByRole('button', { name: 'Start training' });

/** The Train step's Start button: whether it is enabled, and the reason shown when it is not. */
async function startState(): Promise<{ enabled: boolean; reason: string | null }> {
  await openStep(page, 'Train');
  const reason = page.getByTestId('start-blocked');
  const state = { enabled: await startButton().isEnabled(), reason: (await reason.count()) > 0 ? await reason.innerText() : null };
  await openStep(page, 'Data');
  return state;
}

/**
 * The import's own work: the continuation of the file's read (parsing it) and the click on Import
 * (putting the rows in the table). It belongs to the importer and the row table, whose long tasks
 * on a 5 MB row are another part of issue #12; this test measures the preview's.
 */
const IMPORT_INVOKERS = new Set(['Promise.resolve', 'DIV#root.onclick']);

/** Script time of the app's own files in a frame, besides the import's own work: what the preview held the main thread for. */
function previewScriptMs(frame: LongFrame, origin: string): number {
  return frame.scripts.filter((s) => s.source.startsWith(origin) && !IMPORT_INVOKERS.has(s.invoker)).reduce((sum, s) => sum + s.duration + s.forcedLayout, 0);
}

describe('the prompt preview with hostile data (demo model)', () => {
  it('says "updating" from the moment the data changes until the new answer arrives', async () => {
    const before = await facts();
    await page.evaluate(() => {
      window.__previewStates = [];
      const root = document.querySelector('[data-testid="prompt-preview"]')!;
      const record = () =>
        window.__previewStates.push({
          updating: root.querySelector('[data-testid="prompt-updating"]') !== null,
          facts: root.querySelector('[data-testid="prompt-facts"]')?.textContent ?? '',
        });
      new MutationObserver(record).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.getByLabel('k (demos)').fill('2');
    await expect.poll(facts, { timeout: 30_000 }).not.toBe(before);
    await page.getByTestId('prompt-updating').waitFor({ state: 'detached' });
    const states = await page.evaluate(() => window.__previewStates);
    const firstNew = states.findIndex((s) => s.facts !== before && s.facts !== '');
    // Right after the change the old facts are still there, marked as updating; the new ones come without the mark.
    expect(states[0]).toEqual({ updating: true, facts: before });
    expect(states.slice(0, firstNew).every((s) => s.updating || s.facts === '')).toBe(true);
    expect(states[firstNew].updating).toBe(false);
    expect(await page.getByTestId('prompt-result').getAttribute('data-stale')).toBe('false');
    await page.getByLabel('k (demos)').fill('4');
    await expect.poll(facts, { timeout: 30_000 }).toBe(before);
  });

  it(`draws at most ${SHOWN_TOKENS} token spans of a long prompt and says how many are not shown; a typed query does not stop training`, async () => {
    // Under the character bound (6,656 for the demo model) but thousands of tokens: each letter of "zq" is a byte token.
    await page.getByLabel('Query to preview').fill('zq'.repeat(3000));
    await expect.poll(problems, { timeout: 30_000 }).toMatch(/^With the typed query, the prompt is [\d,]+ tokens long, more than the model's limit of 512 positions.*This does not stop training\.$/);
    const tokenCount = Number((await facts()).match(/^([\d,]+) of 512 positions/)![1].replace(/,/g, ''));
    expect(tokenCount).toBeGreaterThan(6000);
    expect(await page.getByTestId('prompt-tokens').locator('.tok').count()).toBe(SHOWN_TOKENS);
    expect((await page.getByTestId('prompt-tokens-hidden').innerText()).trim()).toBe(`… ${(tokenCount - SHOWN_TOKENS).toLocaleString('en')} more tokens not shown`);
    await page.getByTestId('prompt-preview').screenshot({ path: 'test-results/prompt-preview-long.png' });
    expect(await startState()).toEqual({ enabled: true, reason: null });
    await page.getByLabel('Query to preview').fill('');
    await page.getByTestId('prompt-ok').waitFor({ timeout: 30_000 });
  });

  it('names an imported 5 MB row at once with flat memory and no long task of the preview’s code, and keeps Start off until the row is gone', { timeout: 300_000 }, async () => {
    const heapBefore = await jsHeapMB();
    const started = await now();
    const csv = ['text,label', ...SHORT_ROWS.slice(0, 3), `${LONG_ROW},positive`, ...SHORT_ROWS.slice(3)].join('\n');
    await page.getByLabel('Import a data file').setInputFiles({ name: 'long-row.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import 7 good rows' }).click({ timeout: 120_000 });
    await expect.poll(problems, { timeout: 120_000 }).toMatch(/^Row 4 is 5,232,000 characters long \("the film goes on and on .*…"\), more than the 6,656 characters that the model's 512 positions can hold .* so no prompt holding it can be trained on; shorten or remove the row/);
    const shownMs = (await now()) - started;
    const heapAfter = await jsHeapMB();
    const frames = (await page.evaluate(() => window.__longFrames)).filter((f) => f.start >= started);
    const origin = new URL(harness.server.url).origin;
    const preview = frames.map((f) => previewScriptMs(f, origin));
    const importScripts = frames.flatMap((f) => f.scripts.filter((s) => IMPORT_INVOKERS.has(s.invoker)).map((s) => `${s.invoker} ${Math.round(s.duration)} ms`));
    console.log(
      `5 MB row: problem shown ${Math.round(shownMs)} ms after the import began; JS heap ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MB; ` +
        `${frames.length} frames over 50 ms (longest ${Math.round(Math.max(0, ...frames.map((f) => f.duration)))} ms; the import's scripts: ${importScripts.join(', ') || 'none'}; the preview's scripts at most ${Math.round(Math.max(0, ...preview))} ms in a frame)`,
    );
    expect(Math.max(0, ...preview)).toBeLessThanOrEqual(50);
    expect(await page.getByTestId('prompt-tokens').locator('.tok').count()).toBeLessThanOrEqual(SHOWN_TOKENS);

    const blocked = await startState();
    expect(blocked.enabled).toBe(false);
    expect(blocked.reason).toMatch(/^Training cannot start: the Data step’s prompt preview says: Row 4 is 5,232,000 characters long/);
    await page.getByRole('button', { name: 'Delete row 4' }).click({ timeout: 60_000 });
    await page.getByTestId('prompt-ok').waitFor({ timeout: 60_000 });
    expect(await startState()).toEqual({ enabled: true, reason: null });
  });

  it('keeps Start off, naming the problem, while a label word is unusable, and on again once it is fixed', async () => {
    await page.getByLabel('Label word for class 1').fill('negative');
    await expect.poll(problems, { timeout: 30_000 }).toMatch(/label word "negative" stands for both class 0 and class 1/);
    const blocked = await startState();
    expect(blocked.enabled).toBe(false);
    expect(blocked.reason).toMatch(/prompt preview says: The template's label word "negative" stands for both class 0 and class 1/);
    await page.getByLabel('Label word for class 1').fill('positive');
    await page.getByTestId('prompt-ok').waitFor({ timeout: 30_000 });
    expect(await startState()).toEqual({ enabled: true, reason: null });
    expect(errors).toEqual([]);
  });
});
