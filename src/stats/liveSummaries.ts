import type { SessionRow } from '../sessions/types.js';
import { concurrencySum, groupedSum, type Summing } from './aggregate.js';
import type { Summaries } from './types.js';

/**
 * Rows summed per turn of the event loop. With `stats: {store: off}` the statistics are summed
 * from the live sessions on the process that answers the checks: 100,000 of them in one turn
 * held every check for 0.3-1 s per refresh of the status page. A slice of 2,000 is a few ms.
 */
const SLICE = 2000;

/** The live sessions as the statistics read them (the tracker). */
export interface LiveRows {
  rowsNow(): readonly SessionRow[];
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The watched sessions of `rows` fed to `sum`, a slice per turn. A session checked while the sum
 * goes on is read as that check left it, as if the question had come a moment later.
 */
async function summedInSlices<T>(rows: readonly SessionRow[], sum: Summing<T>): Promise<T> {
  for (let from = 0; from < rows.length; from += SLICE) {
    if (from > 0) await nextTurn();
    const to = Math.min(from + SLICE, rows.length);
    for (let at = from; at < to; at++) if (rows[at]!.allowed) sum.add(rows[at]!);
  }
  return sum.finish();
}

/** The statistics of the live sessions alone (no database keeps them), summed without a long turn of the event loop. */
export function liveSummaries(sessions: LiveRows): Summaries {
  return {
    rows: (grouping, window, rules) => summedInSlices(sessions.rowsNow(), groupedSum(grouping, window, rules)),
    concurrency: (window, stepSeconds, rules) =>
      summedInSlices(sessions.rowsNow(), concurrencySum(window, stepSeconds, rules)),
  };
}
