import { describe, expect, it } from 'vitest';
import { busyTracker, checkOf } from './liveChecks.js';

const LIVE = 100_000;

const names = (listed: { sessions: Iterable<{ session: string }> }) => [...listed.sessions].map((s) => s.session);

describe('SessionTracker listing at 100,000 live sessions', () => {
  const { clock, sessions } = busyTracker(LIVE);

  it('lists the limit most recently checked first, and counts them all', () => {
    const listed = sessions.list({}, 1000);
    expect(listed.count).toBe(LIVE);
    const shown = names(listed);
    expect(shown).toHaveLength(1000);
    expect(shown.slice(0, 3)).toEqual(['s99999', 's99998', 's99997']);
    expect(shown.at(-1)).toBe('s99000');
  });

  it('filters by user, channel and route, counting every match and listing the newest of them', () => {
    const alice = sessions.list({ user: 'user7' }, 5);
    expect(alice.count).toBe(100);
    expect(names(alice)).toEqual(['s99007', 's98007', 's97007', 's96007', 's95007']);
    const vod = sessions.list({ route: 'vod' }, 2);
    expect(vod.count).toBe(10_000);
    expect(names(vod)).toEqual(['s99993', 's99983']);
    const both = sessions.list({ channel: 'ch0', route: 'vod' }, 1);
    // n % 7 === 0 and n % 10 === 3: one in 70, the newest 99,953.
    expect(both.count).toBe(1428);
    expect(names(both)).toEqual(['s99953']);
    expect(sessions.list({ user: 'nobody' }, 1000)).toMatchObject({ count: 0 });
    expect(names(sessions.list({ user: 'nobody' }, 1000))).toEqual([]);
  });

  it('lists the whole of them when no limit is given, newest first, each once', () => {
    const all = names(sessions.list());
    expect(all).toHaveLength(LIVE);
    expect(new Set(all).size).toBe(LIVE);
    expect(all[0]).toBe('s99999');
    expect(all.at(-1)).toBe('s0');
  });

  it('moves a session checked again to the front, and an eviction takes the least recently checked', () => {
    sessions.checkAnswered(checkOf(5));
    clock.advance(1);
    expect(names(sessions.list({}, 2))).toEqual(['s5', 's99999']);
    // One past maxLive: s0, checked longest ago, makes room.
    sessions.checkAnswered(checkOf(LIVE, 'newcomer'));
    expect(sessions.liveCount()).toBe(LIVE);
    expect(names(sessions.list({}, 2))).toEqual(['newcomer', 's5']);
    expect(sessions.find(() => true)[0]!.row.session).toBe('s1');
    expect(sessions.find((s) => s.row.session === 's0')).toEqual([]);
  });

  it('keeps the order through ends: an ended session leaves the list, its neighbours stay in order', () => {
    sessions.sessionEnded({
      route: 'default',
      protocol: 'cesbo',
      caller: '10.0.0.1',
      ip: '203.0.113.7',
      session: 's99998',
      reason: 'on_stop',
    });
    expect(names(sessions.list({}, 4))).toEqual(['newcomer', 's5', 's99999', 's99997']);
    expect(sessions.list({}, 1).count).toBe(LIVE - 1);
  });
});
