// The shapes the admin listener reads live sessions and statistics through; the statistics side
// implements objects of exactly this shape (structural typing: neither imports the other).
export interface LiveSession {
  readonly route: string;
  readonly protocol: string; // caller protocol: cesbo, flussonic, ...
  readonly caller?: string; // streaming server address
  readonly session: string; // the streaming server's session id
  readonly user?: string; // local login, else backend X-Session-Name, else X-UserId
  readonly channel?: string;
  readonly ip?: string; // viewer IP
  readonly userAgent?: string;
  readonly firstSeen: string; // ISO 8601
  readonly lastSeen: string; // ISO 8601
  readonly decision: 'allow' | 'deny';
  readonly by: string; // kind of the last decision (ip-rule, backend, user, ...)
}
export interface SessionFilter {
  readonly user?: string;
  readonly channel?: string;
  readonly route?: string;
}
export interface SessionsView {
  list(filter: SessionFilter): readonly LiveSession[];
  /** Live sessions, of one route or all (metrics: sessions_live{route}). */
  liveCount(route?: string): number;
}
/** One streaming server's API as its connector last saw it (`streamingServers` on `/admin/status`). */
export interface StreamingServerView {
  readonly name: string;
  readonly type: string;
  readonly url: string; // credentials masked
  readonly state: 'starting' | 'up' | 'down';
  readonly lastPollAt?: string; // ISO 8601
  readonly lastError?: string;
  readonly listed: number; // sessions the server listed at the last poll
  readonly matched: number; // of them, sessions this bridge decided
  readonly closed: number; // closed over a limit or revoked, since the start
}
export type StatsGrouping = 'channel' | 'user' | 'day' | 'route';
export interface StatsQuery {
  readonly since: Date;
  readonly until?: Date;
  readonly by: StatsGrouping;
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
}
