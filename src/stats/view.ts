import { aggregate, concurrency } from './aggregate.js';
import type { SessionSpan, SpanRules, StatsView, Summaries, Window, WriterState } from './types.js';

/**
 * A database's spans (summed here unless it sums them itself), or statistics summed elsewhere alone (the live
 * sessions').
 */
export type SpanSource =
  | {
      spans(since: number, until: number): Promise<readonly SessionSpan[]>;
      /** When given, the statistics are computed there (off the event loop), not here from `spans`. */
      readonly summaries?: Summaries;
    }
  | { readonly summaries: Summaries };

/** The source's own summaries, else its spans summed here. */
function summariesOf(source: SpanSource): Summaries {
  if (!('spans' in source)) return source.summaries;
  if (source.summaries) return source.summaries;
  const { spans } = source;
  // A session last checked up to idleTtl before the window may still be open in it.
  const spansOpenIn = (window: Window, rules: SpanRules) => spans(window.since - rules.idleTtlMs, window.until);
  return {
    rows: async (grouping, window, rules) => aggregate(await spansOpenIn(window, rules), grouping, window, rules),
    concurrency: async (window, stepSeconds, rules) =>
      concurrency(await spansOpenIn(window, rules), window, stepSeconds, rules),
  };
}

/**
 * The `StatsView` the admin listener and the `stats` command read, over a
 * database or the live sessions alone. `idleTtlSeconds` (`sessions.idleTtl`):
 * how long a session stays open after its last check unless something ended it.
 */
export function createStatsView(
  source: SpanSource,
  writerState: () => WriterState | undefined,
  now: () => number,
  idleTtlSeconds: number,
): StatsView {
  const rules = { idleTtlMs: idleTtlSeconds * 1000 };
  const summaries = summariesOf(source);
  const windowOf = (q: { readonly since: Date; readonly until?: Date }) => ({
    since: q.since.getTime(),
    until: q.until?.getTime() ?? now(),
  });
  return {
    query: (q) => summaries.rows(q.grouping, windowOf(q), rules),
    concurrency: (q) => summaries.concurrency(windowOf(q), q.stepSeconds, rules),
    droppedRows: () => writerState()?.droppedRows ?? 0,
    writerState,
  };
}
