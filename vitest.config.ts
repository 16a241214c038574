import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Dawn holds a native device per process; forks keep each test file's device separate.
    pool: 'forks',
    reporters: ['default', './scripts/summary-reporter.ts'],
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts'], environment: 'node', globalSetup: ['scripts/report-adapter.ts'] },
      },
      {
        extends: true,
        test: { name: 'browser', include: ['e2e/**/*.test.ts'], environment: 'node', fileParallelism: false },
      },
    ],
  },
});
