import react from '@vitejs/plugin-react';
import { defineConfig, runnerImport, type Plugin } from 'vite';

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

export default defineConfig({
  plugins: [react(), demoModel()],
  worker: { format: 'es' },
  // onnxruntime-web ships its own wasm loader that Vite's dependency pre-bundling breaks.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', sourcemap: true },
});
