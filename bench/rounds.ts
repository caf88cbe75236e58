/**
 * Rows compared as ratios, measured in interleaved rounds and read as
 * medians. One round, or the best of two, moved a figure from met to missed
 * between two runs on the same machine (cached CPU 1.23x then 1.82x raw's):
 * a median of five rounds, each side's rounds alternating with the other's,
 * is what one run can say about the code rather than about the machine's
 * other load. Bounded in time: past `capSeconds`, no further round starts
 * once the least number of rounds has run.
 */
import type { Row } from './report.js';
import { QUICK } from './settings.js';

export const MEDIAN_ROUNDS = QUICK ? 1 : 5;
const LEAST_ROUNDS = QUICK ? 1 : 3;

/** Runs `round(0)`, `round(1)`, … up to MEDIAN_ROUNDS times, fewer past the time cap; resolves with how many ran. */
export async function interleavedRounds(capSeconds: number, round: (index: number) => Promise<void>): Promise<number> {
  const started = Date.now();
  let done = 0;
  while (done < MEDIAN_ROUNDS && (done < LEAST_ROUNDS || Date.now() - started < capSeconds * 1000)) await round(done++);
  return done;
}

/** The middle value (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const medianRps = (rows: readonly Row[]): number => median(rows.map((r) => r.rps));

export const medianP99 = (rows: readonly Row[]): number => median(rows.map((r) => r.p99));

/** Undefined where a round could not read the server's CPU time. */
export function medianCpu(rows: readonly Row[]): number | undefined {
  const values = rows.map((r) => r.cpuMicros);
  return values.some((v) => v === undefined) ? undefined : median(values as number[]);
}
