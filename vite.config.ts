import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv, runnerImport, type Plugin } from 'vite';

type DemoFiles = Record<string, Uint8Array | string>;

/**
 * Generates the demo model (src/demo-model.ts) with the project's tiny-model generator instead of
 * committing binaries. Loaded through Vite's module runner: importing the TypeScript sources here
 * would bundle their extensionless imports into the config, which Vite's native loader refuses.
 */
async function demoModelFiles(): Promise<{ path: string; files: DemoFiles }> {
  const load = async <T>(id: string) => (await runnerImport<T>(id, { configFile: false, logLevel: 'warn' })).module;
  const { DEMO_MODEL } = await load<typeof import('./src/demo-model')>('/src/demo-model.ts');
  const { tinyModelFiles } = await load<typeof import('./src/model/testing/tiny-models')>('/src/model/testing/tiny-models.ts');
  return { path: DEMO_MODEL.path, files: tinyModelFiles(DEMO_MODEL.arch, { layers: DEMO_MODEL.layers }) };
}

/** Serves the demo model's files from memory in the dev server and emits them as static assets in the build. */
function demoModel(): Plugin {
  // Seeded, so every build and server gets the same bytes; generated once, on first use.
  let demo: ReturnType<typeof demoModelFiles> | null = null;
  const generated = () => (demo ??= demoModelFiles());
  return {
    name: 'abft-demo-model',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = req.url?.split('?')[0] ?? '';
        generated().then(({ path, files }) => {
          const content = url.startsWith(`/${path}/`) ? files[url.slice(path.length + 2)] : undefined;
          if (content === undefined) return next();
          res.setHeader('Content-Type', typeof content === 'string' ? 'application/json' : 'application/octet-stream');
          res.end(content);
        }, next);
      });
    },
    async generateBundle() {
      const { path, files } = await generated();
      for (const [name, source] of Object.entries(files)) this.emitFile({ type: 'asset', fileName: `${path}/${name}`, source });
    },
  };
}

/**
 * Where the built page may connect besides its own origin: the Hub's model files, the hosts the
 * Hub redirects file downloads to, and the dataset viewer. Every download host the Hub has used
 * lives under hf.co (cdn-lfs.hf.co, cdn-lfs-us-1.hf.co, cas-bridge.xethub.hf.co, and the regional
 * *.cdn.hf.co of huggingface.co/.well-known/meta.json), which HF alone controls: one wildcard there
 * keeps working when the Hub moves its storage again, where a list of hosts would go stale.
 */
const HUB_CONNECT_SOURCES = ['https://huggingface.co', 'https://*.hf.co', 'https://datasets-server.huggingface.co'];

/** An origin, an origin with a port wildcard or a host wildcard: nothing broader (no bare scheme, no "*"). */
const CONNECT_SOURCE = /^(https?|wss?):\/\/(\*\.)?([a-z0-9-]+\.)*[a-z0-9-]+(:(\d+|\*))?$|^(https?|wss?):\/\/\[[0-9a-f:]+\](:(\d+|\*))?$/i;

/**
 * Other endpoints the page may connect to, from ABFT_CONNECT_SRC (space-separated origins, in the
 * environment or a .env file): a Hub mirror, or the tests' fake servers on loopback. A meta policy
 * is fixed when the page is built, so an endpoint typed in the page works only if the build allows
 * it here; the page checks that and says so (src/store/page-policy.ts). Allowing https: for any
 * endpoint a user might trust would let injected code send data anywhere.
 */
function extraConnectSources(value: string | undefined): string[] {
  const sources = (value ?? '').split(/\s+/).filter(Boolean);
  for (const source of sources) {
    if (!CONNECT_SOURCE.test(source)) throw new Error(`ABFT_CONNECT_SRC: "${source}" is not an origin such as https://mirror.example or http://127.0.0.1:*; list the endpoints' origins, separated by spaces.`);
  }
  return sources;
}

/** The classic inline scripts of an HTML page, as the browser hashes them (the exact text between the tags). */
function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].filter(([, attrs]) => !/\bsrc\s*=/i.test(attrs)).map(([, , text]) => text);
}

/**
 * The Content-Security-Policy of the production page, written into index.html as a meta tag at
 * build time (static hosts send no headers of ours); the dev server has none, since React's refresh
 * preamble is an inline script. Inline scripts are allowed by their sha256, computed from the
 * built page, so the theme script's hash can never go stale.
 *
 * A meta policy governs the page only: the trainer worker gets the policy of its own response, and
 * has none. It may only come from 'self' (worker-src), and it runs only the app's bundled code
 * (script-src holds for what the page loads). It could not run under this policy anyway: protobufjs
 * (ONNX export) and onnxruntime-web's embind glue build functions from strings, which would need
 * 'unsafe-eval'. So onnxruntime-web's and transformers.js's WebAssembly is compiled in the worker,
 * and the page itself needs no 'wasm-unsafe-eval'.
 *
 * A meta policy cannot set frame-ancestors either: `vite preview` sends the page's policy as a
 * header too, with frame-ancestors 'none' (not on the worker's script, for the reason above). Serve
 * the app with that header elsewhere as well (README, Security).
 */
function contentSecurityPolicy(connectSources: readonly string[]): Plugin {
  let outDir = 'dist';
  return {
    name: 'abft-content-security-policy',
    apply: (_, env) => env.command === 'build' || env.isPreview === true,
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const hashes = inlineScripts(html).map((text) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`);
        const policy = [
          "default-src 'none'",
          `script-src 'self' ${hashes.join(' ')}`,
          "style-src 'self'",
          "img-src 'self'",
          `connect-src 'self' ${connectSources.join(' ')}`,
          "worker-src 'self'",
          "object-src 'none'",
          "base-uri 'self'",
          "form-action 'none'",
        ].join('; ');
        // First in <head>: a meta policy governs only what comes after it.
        return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy }, injectTo: 'head-prepend' }];
      },
    },
    configurePreviewServer(server) {
      const page = readFileSync(join(outDir, 'index.html'), 'utf8');
      const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(page)?.[1];
      if (!policy) throw new Error(`${outDir}/index.html has no Content-Security-Policy meta tag: build the app (npm run build) before previewing it.`);
      const header = `${policy.replaceAll('&#39;', "'").replaceAll('&quot;', '"')}; frame-ancestors 'none'`;
      server.middlewares.use((req, res, next) => {
        if (req.headers['sec-fetch-dest'] !== 'worker') res.setHeader('Content-Security-Policy', header);
        next();
      });
    },
  };
}

export default defineConfig(({ mode }) => ({
  plugins: [react(), demoModel(), contentSecurityPolicy([...HUB_CONNECT_SOURCES, ...extraConnectSources(loadEnv(mode, process.cwd(), 'ABFT_').ABFT_CONNECT_SRC)])],
  worker: { format: 'es' },
  // onnxruntime-web ships its own wasm loader that Vite's dependency pre-bundling breaks.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', sourcemap: true },
}));
