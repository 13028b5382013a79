import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: run files in a couple of forks, not one per test.
    pool: 'forks',
    maxWorkers: 2,
  },
});
