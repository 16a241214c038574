/**
 * What every browser test file starts from: the production build served on loopback and one
 * headless Chromium with WebGPU, started before the file's first test and closed after its last,
 * and, with `scratch`, a temporary folder for the files it generates, removed at the end. Register
 * it before the file's own hooks: its beforeAll runs first and, Vitest running after-hooks in
 * reverse order, its afterAll last.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startAppServer, type AppServer } from './app-server';
import { launchChromium } from './chromium';

export interface Harness {
  readonly server: AppServer;
  readonly browser: Browser;
  /** The scratch folder; '' without `scratch`. */
  readonly folder: string;
}

export function useHarness(opts: { readonly scratch?: string } = {}): Harness {
  const harness = { server: undefined as AppServer | undefined, browser: undefined as Browser | undefined, folder: '' };
  beforeAll(async () => {
    const folder = opts.scratch ? mkdtemp(join(tmpdir(), `abft-${opts.scratch}-`)) : Promise.resolve('');
    [harness.server, harness.browser, harness.folder] = await Promise.all([startAppServer(), launchChromium({ webgpu: true }), folder]);
  });
  afterAll(async () => {
    await harness.browser?.close();
    await Promise.all([harness.server?.close(), harness.folder && rm(harness.folder, { recursive: true, force: true })]);
  });
  return harness as Harness;
}
