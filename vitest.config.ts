import { defineConfig } from 'vitest/config';

// One DynamoDB Local for the whole run (started in test/setup/global.ts); every test
// file makes its own table, so files run in parallel without seeing each other's data.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/each-file.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    allowOnly: false,
    passWithNoTests: false,
  },
});
