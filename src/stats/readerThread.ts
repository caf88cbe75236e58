import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { ModuleThread, serveInThread } from '../threads/moduleThread.js';
import { aggregate, concurrency, type SpanRules, type Window } from './aggregate.js';
import { spanOf, spansSql } from './sql.js';
import type { ConcurrencyPoint, SessionSpan, StatsGrouping, StatsRow } from './types.js';

/*
 * The statistics file read and summed in a worker thread of its own: a day of a busy bridge (213,096
 * sessions, a 46 MB file) took 2-3 s of CPU to read and aggregate, and on the event loop the status
 * page's refresh every few seconds held every check in flight that long. Only the summary crosses back.
 */

const THREAD = 'stats-reader';

export type SummaryRequest =
  | { readonly op: 'rows'; readonly by: StatsGrouping; readonly window: Window; readonly rules: SpanRules }
  | {
      readonly op: 'concurrency';
      readonly window: Window;
      readonly stepSeconds: number;
      readonly rules: SpanRules;
    };

type Summary = readonly StatsRow[] | readonly ConcurrencyPoint[];

/** What a statistics database computes itself, off the event loop. */
export interface Summaries {
  rows(by: StatsGrouping, window: Window, rules: SpanRules): Promise<readonly StatsRow[]>;
  concurrency(window: Window, stepSeconds: number, rules: SpanRules): Promise<readonly ConcurrencyPoint[]>;
}

serveInThread<SummaryRequest, Summary>(THREAD, (path) => {
  const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  // Its own read-only connection: in WAL mode it neither waits for the writer thread nor holds it up.
  const db = new Sqlite(path as string, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 2000');
  const spans = db.prepare(spansSql(() => '?'));
  return (request) => {
    const { window, rules } = request;
    // A session last checked up to idleTtl before the window may still be open in it.
    const rows = spans.all(window.since - rules.idleTtlMs, window.until) as Parameters<typeof spanOf>[0][];
    const read = rows.map(spanOf) as SessionSpan[];
    return request.op === 'rows'
      ? aggregate(read, request.by, window, rules)
      : concurrency(read, window, request.stepSeconds, rules);
  };
});

/** The summaries of the SQLite file at `path`, computed in the reader thread (started on the first request). */
export function sqliteSummaries(path: string): Summaries & { close(): Promise<void> } {
  const thread = new ModuleThread<SummaryRequest, Summary>(THREAD, import.meta.url, path);
  return {
    rows: async (by, window, rules) => (await thread.ask({ op: 'rows', by, window, rules })) as readonly StatsRow[],
    concurrency: async (window, stepSeconds, rules) =>
      (await thread.ask({ op: 'concurrency', window, stepSeconds, rules })) as readonly ConcurrencyPoint[],
    close: () => thread.close(),
  };
}
