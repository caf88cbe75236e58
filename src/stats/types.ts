import type { SessionRow } from '../sessions/types.js';

/** What the statistics are computed from: a watched session's span, who and what, and how it ended. */
export type SessionSpan = Pick<
  SessionRow,
  'route' | 'channel' | 'user' | 'ip' | 'session' | 'firstSeen' | 'lastSeen' | 'endedAt' | 'endReason'
>;

/** A stretch of time, in milliseconds since the epoch. */
export interface Window {
  readonly since: number;
  readonly until: number;
}

/** How the view reads spans: a session that ends idle, or has not ended, stays open this long after its last check. */
export interface SpanRules {
  readonly idleTtlMs: number;
}

/** What a statistics database computes itself, off the event loop (src/stats/readerThread.ts). */
export interface Summaries {
  rows(grouping: StatsGrouping, window: Window, rules: SpanRules): Promise<readonly StatsRow[]>;
  concurrency(window: Window, stepSeconds: number, rules: SpanRules): Promise<readonly ConcurrencyPoint[]>;
}

/** A database that keeps session rows (SQLite or PostgreSQL). */
export interface StatsDatabase {
  readonly kind: 'sqlite' | 'postgres';
  /** Inserts or updates the rows (by id) in one transaction: all of them are kept, or none. */
  write(rows: readonly SessionRow[]): Promise<void>;
  /** Watched sessions that overlap [since, until] (milliseconds since the epoch), by first and last check or end. */
  spans(since: number, until: number): Promise<SessionSpan[]>;
  /** The statistics computed off the event loop (SQLite: in a reader thread); absent: summed here from `spans`. */
  readonly summaries?: Summaries;
  /** Deletes sessions that ended (or were last seen) before `before`; resolves with how many. */
  deleteBefore(before: number): Promise<number>;
  close(): Promise<void>;
}

/** How `/admin/stats` and the `stats` command group the rows: one list, so both accept the same. */
export const STATS_GROUPINGS = ['channel', 'user', 'day', 'route'] as const;
export type StatsGrouping = (typeof STATS_GROUPINGS)[number];
export interface StatsQuery {
  readonly since: Date;
  readonly until?: Date;
  /** `by` in `/admin/stats?by=` and `stats --by`. */
  readonly grouping: StatsGrouping;
}
export interface StatsRow {
  readonly key: string; // the channel, user, day (YYYY-MM-DD) or route
  readonly viewers: number; // distinct users (or viewer IPs when no user is known)
  readonly sessions: number;
  readonly watchSeconds: number;
  readonly peakConcurrent: number;
}
export interface ConcurrencyPoint {
  readonly at: string;
  readonly viewers: number;
}
/** How the writer of session rows is doing: whether the last write went through, what waits, what was dropped. */
export interface WriterState {
  readonly ok: boolean;
  readonly queued: number;
  readonly droppedRows: number;
  readonly lastError?: string;
}

/** The statistics as the admin listener, the metrics and the `stats` command read them. */
export interface StatsView {
  query(q: StatsQuery): Promise<readonly StatsRow[]>;
  /** Concurrent viewers over time, for the status page's chart. */
  concurrency(q: {
    readonly since: Date;
    readonly until?: Date;
    readonly stepSeconds: number;
  }): Promise<readonly ConcurrencyPoint[]>;
  /** Rows dropped because the write queue was full (metrics: stats_rows_dropped_total). */
  droppedRows(): number;
  /** How writing to the database goes (metrics, /admin/status); undefined with no database to write to. */
  writerState(): WriterState | undefined;
}
