import { defineConfig } from 'vitest/config';

const ignored = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.test.ts',
            'bench/test/**/*.test.ts',
            'test/cluster/test/**/*.test.ts',
            'test/postgres/test/**/*.test.ts',
          ],
          exclude: [...ignored, '**/*.int.test.ts'],
          // A throw-away PostgreSQL server: store tests run against both dialects.
          globalSetup: ['./test/postgres/src/global-setup.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ignored,
          globalSetup: ['./test/cluster/src/global-setup.ts', './test/postgres/src/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Polls wait for a real cluster and a real browser on a busy 2-core machine.
          expect: { poll: { timeout: 15_000, interval: 100 } },
          // Two cores run the control plane as well as the tests.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
