import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

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
    // One file per core, and never fewer than two: vitest's own default (cores - 1) left one file at a time on
    // two cores, while most files wait on sockets and child processes. Not more than the cores: the CLI
    // starts are CPU, and four workers on two loaded cores turned backend answers into timeouts.
    maxWorkers: Math.max(2, availableParallelism()),
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
