import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One temp folder per run, removed at the end (test/helpers/global-temp-dir.ts).
    globalSetup: ['test/helpers/global-temp-dir.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real TLS servers and nginx instances on loopback: keep parallelism modest on a 2-core machine.
    maxWorkers: 2,
  },
});
