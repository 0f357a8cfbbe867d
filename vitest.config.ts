import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests never sleep: they wait for states with deadlines. This only bounds a hung test.
    teardownTimeout: 30_000,
  },
});
