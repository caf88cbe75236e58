import { fuzzCases, type FuzzCase } from './fuzzCases.js';
import { startBridgeUnderTest } from './bridgeUnderTest.js';
import { connectInspector, type ProcessSample } from './inspectorProbe.js';
import { rawExchange, type RawOutcome } from './rawExchange.js';

export interface FuzzReport {
  readonly cases: number;
  readonly seed: number;
  readonly byKind: Readonly<Record<string, number>>;
  readonly statuses: Readonly<Record<string, number>>;
  readonly serverErrors: number;
  readonly resets: number;
  /** Cases the bridge neither answered nor closed within 3 s. */
  readonly hangs: number;
  /** Cases that got fewer answers than the complete requests they sent (a silent close). */
  readonly unanswered: number;
  /** The bridge process exited during the run, or did not exit 0 on SIGTERM after it. */
  readonly crashes: number;
  readonly strayErrors: readonly string[];
  /** RSS as read between cases, garbage and all: what V8 has sized its heap to (see `settled` for what is kept). */
  readonly rssStartBytes: number | undefined;
  readonly rssEndBytes: number | undefined;
  /** The bridge after a full collection (through its inspector), at the baseline and at the end: what it keeps. */
  readonly settled: { readonly start: Settled; readonly end: Settled } | undefined;
  /** A few failing cases, to reproduce them. */
  readonly failures: readonly string[];
  readonly seconds: number;
}

export type Settled = Pick<ProcessSample, 'rssBytes' | 'heapUsedBytes'>;

/**
 * How much the bridge may keep over a run, measured after full collections at both ends: 10,000
 * cases kept 8.0 to 8.7 MiB of RSS and 2.8 MiB of live heap (JIT code, the decisions the cases
 * cached, the live sessions their fresh session ids opened: bounded by `cache.maxEntries` and
 * `stats.maxLiveSessions`). RSS read between cases, once judged against 64 MiB, grew 47 to 66 MiB:
 * mostly V8's young generation growing to its 16 MiB semi-spaces (25 MiB less with
 * `--max-semi-space-size=1`) and garbage no full collection had taken yet. That says how V8 sizes
 * its heap, not what the bridge keeps, so it is shown and not judged.
 */
export const SETTLED_RSS_GROWTH_LIMIT = 32 * 1024 * 1024;
export const HEAP_GROWTH_LIMIT = 8 * 1024 * 1024;

export function fuzzFailed(report: FuzzReport): boolean {
  const { start, end } = report.settled ?? { start: undefined, end: undefined };
  const grew = (what: keyof Settled) => (end?.[what] ?? 0) - (start?.[what] ?? 0);
  return (
    report.serverErrors +
      report.resets +
      report.hangs +
      report.unanswered +
      report.crashes +
      report.strayErrors.length >
      0 ||
    report.settled === undefined ||
    grew('rssBytes') > SETTLED_RSS_GROWTH_LIMIT ||
    grew('heapUsedBytes') > HEAP_GROWTH_LIMIT
  );
}

function verdictOf(fuzzCase: FuzzCase, outcome: RawOutcome): string | undefined {
  if (outcome.reset) return 'reset';
  if (outcome.hung) return 'hang';
  if (outcome.statuses.some((status) => status >= 500)) return '5xx';
  if (outcome.statuses.filter((status) => status >= 200).length < fuzzCase.answers) return 'unanswered';
  return undefined;
}

/** Runs `count` seeded cases, `concurrency` at a time, against a fresh bridge process. */
export async function runFuzz({
  count,
  seed,
  concurrency = 16,
  onProgress,
}: {
  count: number;
  seed: number;
  concurrency?: number;
  onProgress?: (done: number) => void;
}): Promise<FuzzReport> {
  const started = performance.now();
  // The inspector (on a loopback port) collects garbage before each settled sample: no code for it in the bridge.
  const bridge = await startBridgeUnderTest({ env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' } });
  const inspector = bridge.inspectorUrl === undefined ? undefined : await connectInspector(bridge.inspectorUrl);
  const settle = async (): Promise<Settled | undefined> => {
    const sample = await inspector?.sample();
    return sample && { rssBytes: sample.rssBytes, heapUsedBytes: sample.heapUsedBytes };
  };
  let crashed = false;
  bridge.child.once('exit', () => (crashed = true));
  const counts = { '5xx': 0, reset: 0, hang: 0, unanswered: 0 };
  const byKind: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const failures: string[] = [];
  let rssStart: number | undefined;
  let settledStart: Settled | undefined;
  let done = 0;
  const cases = fuzzCases(count, seed);
  const worker = async () => {
    for (let next = cases.next(); !next.done && !crashed; next = cases.next()) {
      const fuzzCase = next.value;
      const outcome = await rawExchange(bridge.port, fuzzCase.request);
      byKind[fuzzCase.kind] = (byKind[fuzzCase.kind] ?? 0) + 1;
      for (const status of outcome.statuses) statuses[status] = (statuses[status] ?? 0) + 1;
      const verdict = verdictOf(fuzzCase, outcome);
      if (verdict !== undefined) {
        counts[verdict as keyof typeof counts] += 1;
        if (failures.length < 10)
          failures.push(
            `${verdict} ${fuzzCase.kind}: ${JSON.stringify(fuzzCase.request.pieces.join('').slice(0, 160))} -> ${JSON.stringify(outcome.reply.slice(0, 80))}`,
          );
      }
      done += 1;
      // Measured once the bridge has served a first batch of every kind: the baseline, not the start-up.
      if (done === Math.min(500, Math.ceil(count / 10))) {
        rssStart = bridge.rss();
        settledStart = await settle();
      }
      if (done % 1000 === 0) onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const rssEnd = bridge.rss();
  const settledEnd = crashed ? undefined : await settle();
  inspector?.close();
  const strayErrors = bridge.strayErrors();
  const crashedDuringRun = crashed;
  const exitCode = crashedDuringRun ? null : await bridge.stop();
  return {
    cases: done,
    seed,
    byKind,
    statuses,
    serverErrors: counts['5xx'],
    resets: counts.reset,
    hangs: counts.hang,
    unanswered: counts.unanswered,
    crashes: crashedDuringRun || exitCode !== 0 ? 1 : 0,
    strayErrors,
    rssStartBytes: rssStart,
    rssEndBytes: rssEnd,
    settled: settledStart && settledEnd && { start: settledStart, end: settledEnd },
    failures,
    seconds: (performance.now() - started) / 1000,
  };
}
