import { defineConfig } from 'vite';

/**
 * Bundles the Node entry points (benchmarks, later the CLI) into single .mjs files with only the
 * native `webgpu` package left external, so they run with plain `node`, here or on the GPU machine
 * through ../shared/gpu-kit.
 */
export default defineConfig({
  build: {
    ssr: true,
    outDir: 'dist-node',
    target: 'node20',
    emptyOutDir: true,
    rollupOptions: {
      input: { 'bench-kernels': 'src/cli/bench-kernels.ts', 'model-run': 'src/cli/model-run.ts' },
      output: { format: 'es', entryFileNames: '[name].mjs' },
      external: ['webgpu'],
    },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
});
