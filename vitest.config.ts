import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Most test time is waiting: for spawned CLIs, real Redis, PostgreSQL and nginx, and sockets. vitest's
    // default (one worker fewer than the cores) runs one file at a time on a 2-core machine; one file per
    // core overlaps those waits without starving the CLIs the e2e tests spawn.
    maxWorkers: 2,
    reporters: ['default', './test/support/summaryReporter.ts'],
  },
});
