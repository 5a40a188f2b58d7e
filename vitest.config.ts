import { defineConfig } from 'vitest/config';

/** Real redis-server, DynamoDB Local and the Kafka stand-in, shared by the tiers that need them. */
const servers = ['./test/global-setup.ts'];

/**
 * Test tiers, by file name (tests live under `test/` dirs):
 * - `*.unit.test.ts`: no servers; `npm run test:unit` answers in seconds;
 * - `*.int.test.ts`: real Redis, DynamoDB Local, Kafka (the global set-up starts them);
 * - `*.e2e.test.ts`: the whole stack as processes (plus Chromium for the pages).
 * `npm test` runs all three; `test/test-tiers.unit.test.ts` fails on a test file without a tier.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['**/test/**/*.unit.test.ts'], exclude: ['**/node_modules/**'] } },
      {
        extends: true,
        test: { name: 'int', include: ['**/test/**/*.int.test.ts'], exclude: ['**/node_modules/**'], globalSetup: servers },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['**/test/**/*.e2e.test.ts'], exclude: ['**/node_modules/**'], globalSetup: servers },
      },
    ],
  },
});
