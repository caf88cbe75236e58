import type {
  ConcurrencyPoint,
  LiveSession,
  SessionFilter,
  SessionsView,
  StatsQuery,
  StatsRow,
  StatsView,
} from '../../src/admin/views.js';

/** A sessions view over a list held in memory: what the statistics side provides, at its smallest. */
export function listedSessions(sessions: readonly LiveSession[]): SessionsView {
  return {
    list: (filter: SessionFilter, limit: number) => {
      const matching = sessions.filter(
        (s) =>
          (filter.user === undefined || s.user === filter.user) &&
          (filter.channel === undefined || s.channel === filter.channel) &&
          (filter.route === undefined || s.route === filter.route),
      );
      // Most recently checked first, as the tracker lists them.
      const newestFirst = [...matching].sort((a, b) => b.lastSeen.localeCompare(a.lastSeen));
      return { count: matching.length, sessions: newestFirst.slice(0, limit) };
    },
    liveCount: (route) => sessions.filter((s) => route === undefined || s.route === route).length,
    liveRoutes: () => [...new Set(sessions.map((s) => s.route))],
  };
}

/** A statistics view over fixed rows and points, remembering what it was asked. */
export function fixedStats(
  rows: readonly StatsRow[],
  points: readonly ConcurrencyPoint[],
  dropped = 0,
): StatsView & { readonly asked: StatsQuery[] } {
  const asked: StatsQuery[] = [];
  return {
    asked,
    query: async (q) => {
      asked.push(q);
      return rows;
    },
    concurrency: async (q) => points.filter((p) => Date.parse(p.at) >= q.since.getTime()),
    droppedRows: () => dropped,
    writerState: () => ({ ok: true, queued: 0, droppedRows: dropped }),
  };
}

export function session(fields: Partial<LiveSession> & Pick<LiveSession, 'session'>): LiveSession {
  return {
    route: 'default',
    protocol: 'cesbo',
    firstSeen: '2026-12-01T08:00:00.000Z',
    lastSeen: '2026-12-01T08:59:00.000Z',
    decision: 'allow',
    by: 'backend',
    ...fields,
  };
}
