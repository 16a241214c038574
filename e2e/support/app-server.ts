/**
 * Builds the app once and serves the production build on loopback, as a user would get it.
 */
import { build, preview, type PreviewServer } from 'vite';

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
 * slower on the main thread, and not what users get.
 */
async function productionBuild(outDir: string): Promise<void> {
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ logLevel: 'warn', build: { outDir } });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}
