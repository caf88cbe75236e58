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

/** The sessions' rows that match `filter`, in their order, as `/admin/sessions` shows them. */
export function liveSessions(sessions: Iterable<{ readonly row: SessionRow }>, filter: SessionFilter): LiveSession[] {
  const out: LiveSession[] = [];
  for (const { row } of sessions) {
    if (filter.user !== undefined && row.user !== filter.user) continue;
    if (filter.channel !== undefined && row.channel !== filter.channel) continue;
    if (filter.route !== undefined && row.route !== filter.route) continue;
    out.push({
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
    });
  }
  return out;
}
