import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { LongFilesFirst } from './test/support/longFilesFirst.js';

/**
 * Files that need a module registry and process of their own: they mock a module (vi.mock) or import
 * a fresh copy (vi.resetModules), which a registry shared with other files would defeat or disturb, or
 * they weigh the heap, which what earlier files left behind in a shared process skews.
 */
const OWN_MODULES = [
  'test/policies/users/passwords.test.ts',
  'test/lifecycle/hangups.test.ts',
  'test/store/flatText.test.ts',
  'test/store/textPool.test.ts',
  'test/store/expiringCache.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: ['default', './test/support/summaryReporter.ts'],
    // Two files more than the cores, and never fewer than four: much of a file's time is spent waiting on sockets,
    // child processes and timeouts it proves, and the longest files (started first) all wait at once. With one file
    // more than the cores the two cores stood half idle for the first 18 s; four files took the suite from 54.8 s to
    // 50.0 s (the mean of four runs each, all passing; five were no faster).
    maxWorkers: Math.max(4, availableParallelism() + 2),
    // The longest files first, also in a fresh clone, where vitest knows no file's duration yet.
    sequence: { sequencer: LongFilesFirst },
    // Transformed sources kept on disk (node_modules/.experimental-vitest-cache, keyed by each file's content)
    // between runs: the main process otherwise compiles every test and src file again on each run, about
    // 40% of its CPU (4.8 → 2.9 s for the 52 files of test/pipeline, protocols and adapters, measured warm).
    experimental: { fsModuleCache: true },
    // CPU per test file and per process it starts, while scripts/suiteCost.ts runs the suite.
    setupFiles: process.env.SUITE_COST_DIR === undefined ? [] : ['test/support/suiteCost.ts'],
    projects: [
      {
        // A worker runs file after file on the modules it has already imported: importing the bridge
        // afresh for each file cost about half a second of CPU per file, most of the suite's overhead.
        extends: true,
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: OWN_MODULES, isolate: false },
      },
      { extends: true, test: { name: 'own-modules', include: OWN_MODULES } },
    ],
  },
});
