import { aggregate, concurrency } from './aggregate.js';
import type { Summaries } from './readerThread.js';
import type { SessionSpan, StatsView } from './types.js';

export interface SpanSource {
  spans(since: number, until: number): Promise<readonly SessionSpan[]>;
  /** When given, the statistics are computed there (off the event loop), not here from `spans`. */
  readonly summaries?: Summaries;
}

/** The `StatsView` the admin listener and the `stats` command read, over a database or the live sessions alone. */
export function createStatsView(source: SpanSource, droppedRows: () => number, now: () => number): StatsView {
  const windowOf = (q: { readonly since: Date; readonly until?: Date }) => ({
    since: q.since.getTime(),
    until: q.until?.getTime() ?? now(),
  });
  return {
    async query(q) {
      const window = windowOf(q);
      if (source.summaries) return source.summaries.rows(q.by, window);
      return aggregate(await source.spans(window.since, window.until), q.by, window);
    },
    async concurrency(q) {
      const window = windowOf(q);
      if (source.summaries) return source.summaries.concurrency(window, q.stepSeconds);
      return concurrency(await source.spans(window.since, window.until), window, q.stepSeconds);
    },
    droppedRows,
  };
}
