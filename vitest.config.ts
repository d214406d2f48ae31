import { defineConfig } from 'vitest/config';

// One DynamoDB Local for the whole run (started in test/setup/global.ts); every test
// file makes its own table, so files run in parallel without seeing each other's data.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/each-file.ts'],
    // Deadlines, not speed checks (those are benchmarks): a real build with rpmbuild,
    // createrepo_c and gpg on a loaded 2-core machine can take well over 30 s, and a
    // test's own polls carry tighter deadlines where a hang must be told from slowness.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    allowOnly: false,
    passWithNoTests: false,
  },
});
