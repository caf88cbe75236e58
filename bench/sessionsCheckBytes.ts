/**
 * Bytes the session tracker allocates per check, in a process of its own started with
 * `--expose-gc` and a young generation large enough that no collection runs while it counts
 * (checked: a run a collection interrupted is said so, not reported): the heap's growth over
 * CHECKS checks, divided by CHECKS. Repeatable on a busy machine, unlike CPU time. Printed as
 * JSON on stdout. `SOURCE_ROOT` points it at another copy of src/ (an older build, for A/B).
 *
 * Workloads: a repeated check of a live session (the steady state: a cached allow, a session
 * checked again), with the backend's user and limit (X-UserId, X-Max-Sessions) and without;
 * and the check that starts a session.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { SessionTracker as Tracker } from '../src/sessions/tracker.js';
import { sessionCheck } from './sessionChecks.js';

const root = process.env.SOURCE_ROOT || new URL('../src/', import.meta.url).pathname;
const from = (path: string) => import(pathToFileURL(`${root}${path}`).href);
const { SessionTracker } = (await from('sessions/tracker.ts')) as { SessionTracker: typeof Tracker };
const { backendSource } = await from('pipeline/decision.ts');
const { systemClock } = await from('clock.ts');
const portal = backendSource('portal');

const LIVE = 10_000;
const CHECKS = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

let collections = 0;
new PerformanceObserver((list) => {
  collections += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

/** Heap bytes per call of `run(i)`, over `count` calls; the events are made before the count starts. */
function bytesPer(count: number, run: (i: number) => void): number | null {
  gc!();
  const seen = collections;
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) run(i);
  const grown = process.memoryUsage().heapUsed - before;
  return collections === seen ? grown / count : null;
}

function tracker(): Tracker {
  return new SessionTracker({ idleTtlSeconds: 3600, maxLive: 1_000_000, clock: systemClock });
}

const result: Record<string, number | null> = {};
for (const limited of [false, true]) {
  const t = tracker();
  const events = Array.from({ length: LIVE }, (_, n) => sessionCheck(n, portal, limited));
  for (const event of events) t.checkAnswered(event);
  // Warm: V8 optimizes the path before it is counted.
  for (let i = 0; i < CHECKS; i++) t.checkAnswered(events[i % LIVE]!);
  result[limited ? 'repeatedWithLimit' : 'repeated'] = bytesPer(CHECKS, (i) => t.checkAnswered(events[i % LIVE]!));
  t.close();
}
const fresh = tracker();
const starts = Array.from({ length: 20_000 }, (_, n) => sessionCheck(n, portal));
result.started = bytesPer(starts.length, (i) => fresh.checkAnswered(starts[i]!));
fresh.close();
console.log(JSON.stringify(result));
