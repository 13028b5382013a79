import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // No test reaches a real host: connections off loopback are refused and fail the test.
    setupFiles: ['test/helpers/loopback-only.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: run files in a couple of forks, not one per test.
    pool: 'forks',
    maxWorkers: 2,
  },
});
