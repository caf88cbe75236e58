// The shapes the admin listener reads live sessions and statistics through: the sessions' and the
// statistics' own types (the admin listener depends on them, never the other way round).
import type { SessionFilter, SessionListing } from '../sessions/liveSession.js';

export type { LiveSession, SessionFilter, SessionListing } from '../sessions/liveSession.js';
export type { ConcurrencyPoint, StatsGrouping, StatsQuery, StatsRow, StatsView } from '../stats/types.js';

export interface SessionsView {
  /** Live sessions matching `filter`, most recently checked first: `count` of them all, at most `limit` listed. */
  list(filter: SessionFilter, limit: number): SessionListing;
  /** Live sessions, of one route or all (metrics: sessions_live{route}). */
  liveCount(route?: string): number;
  /** The routes that have live sessions (a route a reload removed among them, until they end). */
  liveRoutes(): string[];
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
