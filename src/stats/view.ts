import { aggregate, concurrency } from './aggregate.js';
import type { SessionSpan, StatsView } from './types.js';

export interface SpanSource {
  spans(since: number, until: number): Promise<readonly SessionSpan[]>;
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
      return aggregate(await source.spans(window.since, window.until), q.by, window);
    },
    async concurrency(q) {
      const window = windowOf(q);
      return concurrency(await source.spans(window.since, window.until), window, q.stepSeconds);
    },
    droppedRows,
  };
}
