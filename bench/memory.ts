/**
 * Scenario 5, run in a child process with --expose-gc: heap and RSS of the
 * real decider (pipeline, cache step, memory store) holding 1,000,000 cached
 * decisions. The middleware is an in-process adapter that allows at once, so
 * the run takes seconds instead of a million HTTP round trips.
 */
import winston from 'winston';
import type { MiddlewareAdapter } from '../src/adapters/types.js';
import { validateConfig } from '../src/config/load.js';
import { createDecider } from '../src/pipeline/pipeline.js';
import { createStore } from '../src/store/factory.js';

const ENTRIES = Number(process.argv[2] ?? 1_000_000);
/** A busy machine stops the run early (argv[3] seconds); the figures are per entry held, so they stay comparable. */
const DEADLINE = Date.now() + 1000 * Number(process.argv[3] ?? Number.POSITIVE_INFINITY);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const config = validateConfig(
  { cache: { maxEntries: ENTRIES * 2 }, backends: { mw: { type: 'http', url: 'http://127.0.0.1:9/check' } } },
  'memory benchmark',
  {},
);
const log = winston.createLogger({ silent: true });
const store = createStore(config.cache, log);
const allowAtOnce: MiddlewareAdapter = {
  name: 'mw',
  check: () =>
    Promise.resolve({ outcome: 'allow', info: { sessionName: 'subscriber', authDuration: 3600 }, notes: [] }),
};
const decider = createDecider(config, new Map([['mw', allowAtOnce]]), store, log);

gc();
const before = process.memoryUsage();
for (let i = 0; i < ENTRIES && (i % 1024 !== 0 || Date.now() < DEADLINE); i++) {
  await decider.decide('default', {
    dialect: 'cesbo',
    rawQuery: `token=${i.toString(36)}-viewer-token`,
    token: `${i.toString(36)}-viewer-token`,
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    channel: `ch${i % 200}`,
  });
}
// Aborted-signal bookkeeping is released by finalizers, which run after a collection: collect twice.
for (let pass = 0; pass < 2; pass++) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc();
}
const after = process.memoryUsage();
// What RSS stays at: V8 hands the pages those collections freed back to the system shortly after.
await new Promise((resolve) => setTimeout(resolve, 1000));
gc();
const settled = process.memoryUsage();
const entries = store.health().entries ?? ENTRIES;
process.stdout.write(
  JSON.stringify({
    entries,
    heapBytesPerEntry: (after.heapUsed - before.heapUsed) / entries,
    heapMiB: after.heapUsed / 2 ** 20,
    rssMiB: after.rss / 2 ** 20,
    settledRssMiB: settled.rss / 2 ** 20,
  }),
);
await store.close();
