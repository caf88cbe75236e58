import { describe, expect, it } from 'vitest';
import { aggregate, concurrency } from '../../src/stats/aggregate.js';
import type { SessionSpan } from '../../src/stats/types.js';

const T0 = Date.UTC(2026, 0, 1);
const at = (hours: number, minutes = 0) => T0 + hours * 3_600_000 + minutes * 60_000;
const span = (
  session: string,
  channel: string,
  user: string | undefined,
  from: number,
  to: number,
  ended = true,
): SessionSpan => ({
  route: session === 's4' ? 'vod' : 'default',
  session,
  channel,
  user,
  ip: user ? '203.0.113.1' : '198.51.100.4',
  firstSeen: from,
  lastSeen: to,
  endedAt: ended ? to : undefined,
});

const SPANS: SessionSpan[] = [
  span('s1', 'a', 'alice', at(10), at(11)),
  span('s2', 'a', 'bob', at(10, 30), at(10, 45)),
  span('s3', 'b', 'alice', at(23, 30), at(24, 30)),
  span('s4', 'b', undefined, at(12), at(12, 10), false),
];
const WHOLE = { since: T0, until: at(48) };
/** These spans end where they say: no idle time after the last check. */
const NO_IDLE = { idleTtlMs: 0 };

describe('aggregate', () => {
  it('by channel: distinct viewers, sessions, watch time and peak concurrency, most watched first', () => {
    expect(aggregate(SPANS, 'channel', WHOLE, NO_IDLE)).toEqual([
      { key: 'a', viewers: 2, sessions: 2, watchSeconds: 4500, peakConcurrent: 2 },
      { key: 'b', viewers: 2, sessions: 2, watchSeconds: 4200, peakConcurrent: 1 },
    ]);
  });

  it('by user: a viewer without a user counts by IP', () => {
    expect(aggregate(SPANS, 'user', WHOLE, NO_IDLE).map((r) => [r.key, r.sessions, r.watchSeconds])).toEqual([
      ['alice', 2, 7200],
      ['bob', 1, 900],
      ['198.51.100.4', 1, 600],
    ]);
  });

  it('by day: a session across midnight counts on both days, each with its part', () => {
    expect(aggregate(SPANS, 'day', WHOLE, NO_IDLE)).toEqual([
      { key: '2026-01-01', viewers: 3, sessions: 4, watchSeconds: 6900, peakConcurrent: 2 },
      { key: '2026-01-02', viewers: 1, sessions: 1, watchSeconds: 1800, peakConcurrent: 1 },
    ]);
  });

  it('by route, and only the part inside the window counts', () => {
    expect(aggregate(SPANS, 'route', { since: at(10, 40), until: at(12, 5) }, NO_IDLE)).toEqual([
      { key: 'default', viewers: 2, sessions: 2, watchSeconds: 20 * 60 + 5 * 60, peakConcurrent: 2 },
      { key: 'vod', viewers: 1, sessions: 1, watchSeconds: 300, peakConcurrent: 1 },
    ]);
    expect(aggregate(SPANS, 'route', { since: at(30), until: at(31) }, NO_IDLE)).toEqual([]);
  });
});

describe('concurrency', () => {
  it('counts the sessions open at each step', () => {
    const points = concurrency(SPANS, { since: at(10), until: at(11) }, 900, NO_IDLE);
    expect(points).toEqual([
      { at: '2026-01-01T10:00:00.000Z', viewers: 1 },
      { at: '2026-01-01T10:15:00.000Z', viewers: 1 },
      { at: '2026-01-01T10:30:00.000Z', viewers: 2 },
      { at: '2026-01-01T10:45:00.000Z', viewers: 2 },
      { at: '2026-01-01T11:00:00.000Z', viewers: 1 },
    ]);
  });

  it('widens the step so that a long period stays at most 2000 points', () => {
    expect(concurrency(SPANS, { since: T0, until: at(24 * 365) }, 1, NO_IDLE).length).toBeLessThanOrEqual(2000);
    // A period of exactly 1999 steps is 2000 points, both ends included.
    expect(concurrency(SPANS, { since: T0, until: T0 + 1999 * 60_000 }, 60, NO_IDLE)).toHaveLength(2000);
  });
});
