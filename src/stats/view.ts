import { aggregate, concurrency } from './aggregate.js';
import type { Summaries } from './readerThread.js';
import type { SessionSpan, StatsView } from './types.js';

export interface SpanSource {
  spans(since: number, until: number): Promise<readonly SessionSpan[]>;
  /** When given, the statistics are computed there (off the event loop), not here from `spans`. */
  readonly summaries?: Summaries;
}

/**
 * The `StatsView` the admin listener and the `stats` command read, over a
 * database or the live sessions alone. `idleTtlSeconds` (`sessions.idleTtl`):
 * how long a session stays open after its last check unless something ended it.
 */
export function createStatsView(
  source: SpanSource,
  droppedRows: () => number,
  now: () => number,
  idleTtlSeconds: number,
): StatsView {
  const rules = { idleTtlMs: idleTtlSeconds * 1000 };
  const windowOf = (q: { readonly since: Date; readonly until?: Date }) => ({
    since: q.since.getTime(),
    until: q.until?.getTime() ?? now(),
  });
  // A session last checked up to idleTtl before the window may still be open in it.
  const spansOpenIn = (window: { since: number; until: number }) =>
    source.spans(window.since - rules.idleTtlMs, window.until);
  return {
    async query(q) {
      const window = windowOf(q);
      if (source.summaries) return source.summaries.rows(q.by, window, rules);
      return aggregate(await spansOpenIn(window), q.by, window, rules);
    },
    async concurrency(q) {
      const window = windowOf(q);
      if (source.summaries) return source.summaries.concurrency(window, q.stepSeconds, rules);
      return concurrency(await spansOpenIn(window), window, q.stepSeconds, rules);
    },
    droppedRows,
  };
}
