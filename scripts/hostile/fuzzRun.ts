import { fuzzCases, type FuzzCase } from './fuzzCases.js';
import { startBridgeUnderTest } from './bridgeUnderTest.js';
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
  readonly rssStartBytes: number | undefined;
  readonly rssEndBytes: number | undefined;
  /** A few failing cases, to reproduce them. */
  readonly failures: readonly string[];
  readonly seconds: number;
}

/** RSS may grow this much over a run before it counts as a leak (the cache fills, V8 sizes its heap). */
export const RSS_GROWTH_LIMIT = 64 * 1024 * 1024;

export function fuzzFailed(report: FuzzReport): boolean {
  const growth = (report.rssEndBytes ?? 0) - (report.rssStartBytes ?? 0);
  return (
    report.serverErrors +
      report.resets +
      report.hangs +
      report.unanswered +
      report.crashes +
      report.strayErrors.length >
      0 || growth > RSS_GROWTH_LIMIT
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
  const bridge = await startBridgeUnderTest();
  let crashed = false;
  bridge.child.once('exit', () => (crashed = true));
  const counts = { '5xx': 0, reset: 0, hang: 0, unanswered: 0 };
  const byKind: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const failures: string[] = [];
  let rssStart: number | undefined;
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
      if (done === Math.min(500, Math.ceil(count / 10))) rssStart = bridge.rss();
      if (done % 1000 === 0) onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const rssEnd = bridge.rss();
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
    failures,
    seconds: (performance.now() - started) / 1000,
  };
}
