import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { ModuleThread, serveInThread } from '../threads/moduleThread.js';
import { aggregate, concurrency } from './aggregate.js';
import { spanOf, spansSql } from './sql.js';
import type { ConcurrencyPoint, SpanRules, StatsGrouping, StatsRow, Summaries, Window } from './types.js';

/*
 * The statistics database read and summed in a worker thread of its own: a day of a busy bridge (213,096
 * sessions, a 46 MB SQLite file) took 2-3 s of CPU to read and aggregate, and on the event loop the status
 * page's refresh every few seconds held every check in flight that long. PostgreSQL's rows cost the same
 * to parse and sum, so they are fetched there too. Only the summary crosses back.
 */

const THREAD = 'stats-reader';

export type SummaryRequest =
  | { readonly op: 'rows'; readonly grouping: StatsGrouping; readonly window: Window; readonly rules: SpanRules }
  | {
      readonly op: 'concurrency';
      readonly window: Window;
      readonly stepSeconds: number;
      readonly rules: SpanRules;
    };

type Summary = readonly StatsRow[] | readonly ConcurrencyPoint[];

/** Which database the thread reads. */
type Source = { readonly sqlite: string } | { readonly postgres: string; readonly timeoutMs: number };

type SpanRecords = (
  since: number,
  until: number,
) => Parameters<typeof spanOf>[0][] | Promise<Parameters<typeof spanOf>[0][]>;

function sqliteRecords(path: string): SpanRecords {
  const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  // Its own read-only connection: in WAL mode it neither waits for the writer thread nor holds it up.
  const db = new Sqlite(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 2000');
  const spans = db.prepare(spansSql(() => '?'));
  return (since, until) => spans.all(since, until) as Parameters<typeof spanOf>[0][];
}

function postgresRecords(url: string, timeoutMs: number): SpanRecords {
  const { Pool } = createRequire(import.meta.url)('pg') as typeof pg;
  // One connection is enough for a reader: the requests of one thread are summed one after the other anyway.
  const pool = new Pool({
    connectionString: url,
    max: 1,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs,
    idleTimeoutMillis: 30_000,
    allowExitOnIdle: true,
  });
  // An idle connection's error (the server restarted) fails no request: the next one connects again.
  pool.on('error', () => undefined);
  const sql = spansSql((n) => `$${n}`);
  return async (since, until) => (await pool.query(sql, [since, until])).rows;
}

serveInThread<SummaryRequest, Summary>(THREAD, (data) => {
  const source = data as Source;
  const records =
    'sqlite' in source ? sqliteRecords(source.sqlite) : postgresRecords(source.postgres, source.timeoutMs);
  return async (request) => {
    const { window, rules } = request;
    // A session last checked up to idleTtl before the window may still be open in it.
    const spans = (await records(window.since - rules.idleTtlMs, window.until)).map(spanOf);
    return request.op === 'rows'
      ? aggregate(spans, request.grouping, window, rules)
      : concurrency(spans, window, request.stepSeconds, rules);
  };
});

function summariesIn(source: Source): Summaries & { close(): Promise<void> } {
  const thread = new ModuleThread<SummaryRequest, Summary>(THREAD, import.meta.url, source);
  return {
    rows: async (grouping, window, rules) =>
      (await thread.ask({ op: 'rows', grouping, window, rules })) as readonly StatsRow[],
    concurrency: async (window, stepSeconds, rules) =>
      (await thread.ask({ op: 'concurrency', window, stepSeconds, rules })) as readonly ConcurrencyPoint[],
    close: () => thread.close(),
  };
}

/** The summaries of the SQLite file at `path`, computed in the reader thread (started on the first request). */
export function sqliteSummaries(path: string): Summaries & { close(): Promise<void> } {
  return summariesIn({ sqlite: path });
}

/** The summaries of the PostgreSQL database at `url`, read and computed in a reader thread of its own. */
export function postgresSummaries(url: string, timeoutMs: number): Summaries & { close(): Promise<void> } {
  return summariesIn({ postgres: url, timeoutMs });
}
