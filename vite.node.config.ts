import { defineConfig, type UserConfig } from 'vite';

/** Node entry points, each bundled into one self-contained dist-node/<name>.mjs. */
export const NODE_ENTRIES = {
  'abft': 'src/cli/abft-bin.ts',
  'bench-kernels': 'src/cli/bench-kernels-bin.ts',
  'bench': 'src/cli/bench-bin.ts',
  'model-run': 'src/cli/model-run-bin.ts',
  'abft-grad': 'src/cli/abft-grad-bin.ts',
  'tiny-model': 'src/cli/tiny-model-bin.ts',
  'classroom-check': 'src/cli/classroom-check-bin.ts',
} as const;

/**
 * Bundles one Node entry (NODE_ENTRY) into a single .mjs with only the native `webgpu` package
 * left external, so it runs with plain `node`, here or on the GPU machine through
 * ../shared/gpu-kit, which carries one file per program (hence one build per entry: a multi-entry
 * build would split shared code into chunks). onnxruntime-web stays external too: it finds its
 * .wasm files beside its own module, and only `abft export` imports it (lazily).
 */
const EXTERNAL = ['webgpu', 'onnxruntime-web'];

export default defineConfig((): UserConfig => {
  const name = process.env.NODE_ENTRY as keyof typeof NODE_ENTRIES | undefined;
  if (!name || !(name in NODE_ENTRIES)) throw new Error(`set NODE_ENTRY to one of ${Object.keys(NODE_ENTRIES).join(', ')}`);
  return {
    publicDir: false,
    build: {
      ssr: true,
      outDir: 'dist-node',
      target: 'node20',
      emptyOutDir: false,
      rollupOptions: {
        input: { [name]: NODE_ENTRIES[name] },
        output: { format: 'es', entryFileNames: '[name].mjs', codeSplitting: false },
        external: EXTERNAL,
      },
    },
    ssr: { noExternal: true, external: EXTERNAL },
  };
});
