import type { SessionRow } from './types.js';

/** A live session as `/admin/sessions` lists it (the admin listener's `LiveSession`): times in ISO 8601. */
export type LiveSession = Omit<SessionRow, 'id' | 'firstSeen' | 'lastSeen' | 'allowed' | 'endedAt' | 'endReason'> & {
  readonly firstSeen: string;
  readonly lastSeen: string;
};

export interface SessionFilter {
  readonly user?: string;
  readonly channel?: string;
  readonly route?: string;
}

/**
 * What `/admin/sessions` answers: `count` of every live session that matches, and the first
 * `limit` of them, most recently checked first. `sessions` is built as it is read, so that the
 * admin listener can spread a long list over several turns of the event loop.
 */
export interface SessionListing {
  readonly count: number;
  readonly sessions: Iterable<LiveSession>;
}

function matches(row: SessionRow, filter: SessionFilter): boolean {
  return (
    (filter.user === undefined || row.user === filter.user) &&
    (filter.channel === undefined || row.channel === filter.channel) &&
    (filter.route === undefined || row.route === filter.route)
  );
}

export function liveSession(row: SessionRow): LiveSession {
  return {
    route: row.route,
    protocol: row.protocol,
    caller: row.caller,
    session: row.session,
    user: row.user,
    channel: row.channel,
    ip: row.ip,
    userAgent: row.userAgent,
    firstSeen: new Date(row.firstSeen).toISOString(),
    lastSeen: new Date(row.lastSeen).toISOString(),
    decision: row.decision,
    by: row.by,
  };
}

function* asLive(picked: readonly { readonly row: SessionRow }[]): Generator<LiveSession> {
  // Each session's row as it is when read: a session that ended since the count is listed as last seen.
  for (const { row } of picked) yield liveSession(row);
}

/** A live session as the listing walks them: its row, and the one checked before it. */
export interface Listed {
  readonly row: SessionRow;
  readonly older: Listed | undefined;
}

/**
 * The listing of the live sessions from `newest` on (most recently checked first). Rows are built
 * only for what is listed; a session that does not match costs a comparison. `known`: how many
 * match, when the caller knows without a walk (every session, one route's), so the walk stops at `limit`.
 */
export function listing(
  newest: Listed | undefined,
  filter: SessionFilter,
  limit: number,
  known?: number,
): SessionListing {
  const picked: Listed[] = [];
  let count = 0;
  for (let session = newest; session; session = session.older) {
    if (!matches(session.row, filter)) continue;
    count++;
    if (picked.length < limit) picked.push(session);
    else if (known !== undefined) break;
  }
  return { count: known ?? count, sessions: asLive(picked) };
}
