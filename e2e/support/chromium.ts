/**
 * Launches Debian's Chromium through playwright-core (no browser download). Headless Chromium has
 * no GPU here: with --enable-unsafe-webgpu it gives WebGPU on SwiftShader, a software Vulkan.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

// Chromium's background services would try to reach the network, which these machines do not have.
const QUIET_FLAGS = ['--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-sandbox'];

export function chromiumPath(): string {
  const found = CANDIDATES.find((p): p is string => !!p && existsSync(p));
  if (!found) throw new Error(`No Chromium found (looked at ${CANDIDATES.filter(Boolean).join(', ')}); install Debian's 'chromium' or set CHROMIUM_PATH.`);
  return found;
}

export function launchChromium(opts: { webgpu: boolean }): Promise<Browser> {
  const gpuFlags = opts.webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-vulkan=swiftshader'] : ['--disable-gpu'];
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: [...QUIET_FLAGS, ...gpuFlags] });
}
