import { describe, expect, it } from 'vitest';
import { liveSessions } from '../../src/sessions/liveSession.js';
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

describe('liveSessions', () => {
  it('shows each row with its times in ISO 8601, without its id, allowed flag or end', () => {
    expect(liveSessions([row('s1', { user: 'alice', channel: 'a001', endReason: 'idle', endedAt: 1 })], {})).toEqual([
      {
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
      },
    ]);
  });

  it('keeps the rows that match every part of the filter given, in their order', () => {
    const rows = [
      row('s1', { user: 'alice', channel: 'news' }),
      row('s2', { user: 'bob', channel: 'news', route: 'vod' }),
      row('s3', { user: 'alice', channel: 'sport' }),
    ];
    const sessionsOf = (filter: Parameters<typeof liveSessions>[1]) => liveSessions(rows, filter).map((s) => s.session);
    expect(sessionsOf({})).toEqual(['s1', 's2', 's3']);
    expect(sessionsOf({ user: 'alice' })).toEqual(['s1', 's3']);
    expect(sessionsOf({ channel: 'news', route: 'vod' })).toEqual(['s2']);
    expect(sessionsOf({ user: 'carol' })).toEqual([]);
  });
});
