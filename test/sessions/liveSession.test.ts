import { describe, expect, it } from 'vitest';
import { type Listed, listing, liveSession, type SessionFilter } from '../../src/sessions/liveSession.js';
import type { SessionRow } from '../../src/sessions/types.js';

function row(session: string, parts: Partial<SessionRow> = {}): { row: SessionRow } {
  return {
    row: {
      id: `id-${session}`,
      route: 'default',
      protocol: 'cesbo',
      session,
      firstSeen: Date.UTC(2026, 0, 1),
      lastSeen: Date.UTC(2026, 0, 1, 0, 0, 5),
      decision: 'allow',
      by: 'backend',
      allowed: true,
      ...parts,
    },
  };
}

describe('liveSession', () => {
  it('shows each row with its times in ISO 8601, without its id, allowed flag or end', () => {
    expect(liveSession(row('s1', { user: 'alice', channel: 'a001', endReason: 'idle', endedAt: 1 }).row)).toEqual({
      route: 'default',
      protocol: 'cesbo',
      caller: undefined,
      session: 's1',
      user: 'alice',
      channel: 'a001',
      ip: undefined,
      userAgent: undefined,
      firstSeen: '2026-01-01T00:00:00.000Z',
      lastSeen: '2026-01-01T00:00:05.000Z',
      decision: 'allow',
      by: 'backend',
    });
  });
});

/** The rows linked as the tracker links them, the first the most recently checked. */
function newestFirst(rows: readonly { row: SessionRow }[], walked: string[] = []): Listed | undefined {
  let older: Listed | undefined;
  for (const { row } of [...rows].reverse()) {
    const next = older;
    older = {
      row,
      get older() {
        walked.push(row.session);
        return next;
      },
    };
  }
  return older;
}

describe('listing', () => {
  const rows = [
    row('s1', { user: 'alice', channel: 'news' }),
    row('s2', { user: 'bob', channel: 'news', route: 'vod' }),
    row('s3', { user: 'alice', channel: 'sport' }),
  ];
  const sessionsOf = (filter: SessionFilter, limit = Infinity) =>
    [...listing(newestFirst(rows), filter, limit).sessions].map((s) => s.session);

  it('keeps the rows that match every part of the filter given, in their order', () => {
    expect(sessionsOf({})).toEqual(['s1', 's2', 's3']);
    expect(sessionsOf({ user: 'alice' })).toEqual(['s1', 's3']);
    expect(sessionsOf({ channel: 'news', route: 'vod' })).toEqual(['s2']);
    expect(sessionsOf({ user: 'carol' })).toEqual([]);
  });

  it('counts every match and lists the first `limit` of them', () => {
    expect(listing(newestFirst(rows), { user: 'alice' }, 1).count).toBe(2);
    expect(sessionsOf({ user: 'alice' }, 1)).toEqual(['s1']);
  });

  it('takes a count the caller knows and stops walking once the limit is listed', () => {
    const walked: string[] = [];
    const listed = listing(newestFirst(rows, walked), {}, 1, 3);
    expect(listed.count).toBe(3);
    expect([...listed.sessions].map((s) => s.session)).toEqual(['s1']);
    // From s1 (listed) on to s2 (one past the limit), and no further.
    expect(walked).toEqual(['s1']);
  });

  it('builds a row when it is read, from the session as it is then', () => {
    const held = { row: row('s9').row, older: undefined };
    const listed = listing(held, {}, 10);
    held.row = { ...held.row, user: 'named-later' };
    expect([...listed.sessions][0]).toMatchObject({ session: 's9', user: 'named-later' });
  });
});
