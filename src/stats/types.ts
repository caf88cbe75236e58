import type { SessionRow } from '../sessions/types.js';

/** What the statistics are computed from: a watched session's span, who and what. */
export type SessionSpan = Pick<
  SessionRow,
  'route' | 'channel' | 'user' | 'ip' | 'session' | 'firstSeen' | 'lastSeen' | 'endedAt'
>;

/** A database that keeps session rows (SQLite or PostgreSQL). */
export interface StatsDatabase {
  readonly kind: 'sqlite' | 'postgres';
  /** Inserts or updates the rows (by id) in one transaction: all of them are kept, or none. */
  write(rows: readonly SessionRow[]): Promise<void>;
  /** Watched sessions that overlap [since, until] (milliseconds since the epoch). */
  spans(since: number, until: number): Promise<SessionSpan[]>;
  /** Deletes sessions that ended (or were last seen) before `before`; resolves with how many. */
  deleteBefore(before: number): Promise<number>;
  close(): Promise<void>;
}

// The shapes the admin listener reads (its `StatsView`); structurally the same, imported by neither.
export type StatsGrouping = 'channel' | 'user' | 'day' | 'route';
export interface StatsQuery {
  readonly since: Date;
  readonly until?: Date;
  readonly by: StatsGrouping;
}
export interface StatsRow {
  readonly key: string;
  readonly viewers: number;
  readonly sessions: number;
  readonly watchSeconds: number;
  readonly peakConcurrent: number;
}
export interface ConcurrencyPoint {
  readonly at: string;
  readonly viewers: number;
}
export interface StatsView {
  query(q: StatsQuery): Promise<readonly StatsRow[]>;
  concurrency(q: {
    readonly since: Date;
    readonly until?: Date;
    readonly stepSeconds: number;
  }): Promise<readonly ConcurrencyPoint[]>;
  droppedRows(): number;
}
