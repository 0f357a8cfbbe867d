import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests never sleep: they wait for states with deadlines. This only bounds a hung test.
    teardownTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          // Beside the code: no root, no PostgreSQL, no namespaces. `vitest run --project unit`.
          name: 'unit',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Real PostgreSQL, DBOS, the simulator, SSH, and `kgd` run as a child process:
          // dist/ is rebuilt from the current sources first (see test/support/build-dist.ts).
          name: 'integration',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/support/build-dist.ts'],
        },
      },
    ],
  },
});
