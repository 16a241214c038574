/**
 * Builds the app once and serves the production build on loopback, as a user would get it.
 */
import { build, preview, type PreviewServer } from 'vite';

/** Where the tests' fake servers listen (support/fake-hub.ts, src/data/testing/fake-dataset-viewer.ts). */
export const TEST_SERVERS = 'http://127.0.0.1:*';

export interface AppServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startAppServer(outDir = 'dist'): Promise<AppServer> {
  await productionBuild(outDir);
  const server: PreviewServer = await preview({ logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a local URL');
  return { url, close: () => server.close() };
}

/**
 * Vitest sets NODE_ENV=test, with which Vite would bundle React's development build: several times
 * slower on the main thread, and not what users get. The page's Content-Security-Policy (vite.config.ts)
 * also lets it reach the tests' fake Hub and dataset viewer, which listen on loopback ports.
 */
async function productionBuild(outDir: string): Promise<void> {
  const saved = { NODE_ENV: process.env.NODE_ENV, ABFT_CONNECT_SRC: process.env.ABFT_CONNECT_SRC };
  Object.assign(process.env, { NODE_ENV: 'production', ABFT_CONNECT_SRC: TEST_SERVERS });
  try {
    await build({ logLevel: 'warn', build: { outDir } });
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
