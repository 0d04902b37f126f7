import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/tmp/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Servers on loopback and spawned processes: keep the machine's two cores from thrashing.
    maxWorkers: 2,
    reporters: ['default', './test/support/count-reporter.ts'],
  },
});
