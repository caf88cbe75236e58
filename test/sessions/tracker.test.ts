import { describe, expect, it } from 'vitest';
import type { CheckAnswered } from '../../src/observe.js';
import { belongsTo } from '../../src/sessions/trackedSession.js';
import { SessionTracker, sessionKey } from '../../src/sessions/tracker.js';
import type { SessionRow } from '../../src/sessions/types.js';
import type { ViewerRequest } from '../../src/viewer.js';
import { type DecisionSketch, sketched } from '../support/decisions.js';
import { ManualClock } from '../support/manualClock.js';
import { endedNotice } from '../support/sessionEnded.js';

function check(
  session: string | undefined,
  decision: DecisionSketch | undefined,
  viewer: Partial<ViewerRequest> = {},
  caller = '10.0.0.1',
): CheckAnswered {
  return {
    route: 'default',
    protocol: 'cesbo',
    caller,
    viewer: {
      dialect: 'cesbo',
      rawQuery: '',
      session,
      ip: '203.0.113.7',
      channel: 'a001',
      userAgent: 'VLC/3.0',
      ...viewer,
    },
    decision: decision && sketched(decision),
    outcome: decision === undefined ? 'refused' : decision.allow ? 'allow' : 'deny',
    by: decision === undefined ? 'refused' : (decision.decidedBy.split(/[: ]/)[0] as CheckAnswered['by']),
    cache: 'none',
    status: 200,
    durationMs: 1,
  };
}

function tracker(options: { idleTtlSeconds?: number; maxLive?: number } = {}) {
  const clock = new ManualClock();
  const rows: SessionRow[] = [];
  const sessions = new SessionTracker({
    idleTtlSeconds: options.idleTtlSeconds ?? 60,
    maxLive: options.maxLive ?? 100,
    clock,
    sink: (row) => rows.push(row),
  });
  return { clock, rows, sessions };
}

describe('SessionTracker', () => {
  it('a publish is no viewing session: not listed, no row for the statistics', () => {
    const { rows, sessions } = tracker();
    sessions.checkAnswered(check('p1', { allow: true, decidedBy: 'backend:portal' }, { publishing: true }));
    sessions.checkAnswered(check('p2', { allow: false, decidedBy: 'publish (deny)' }, { publishing: true }));
    expect(sessions.liveCount()).toBe(0);
    expect(rows).toEqual([]);
  });

  it('keeps one session per caller and session id with the viewer, the user and the last decision', () => {
    const { clock, rows, sessions } = tracker();
    sessions.checkAnswered(
      check(
        's1',
        { allow: true, decidedBy: 'backend:portal', userId: '42', sessionName: 'alice-box' },
        { token: 'secret-token' },
      ),
    );
    clock.advance(5000);
    sessions.checkAnswered(check('s1', { allow: false, decidedBy: 'backend:portal', userId: '42' }));
    sessions.checkAnswered(check('s1', { allow: true, decidedBy: 'backend:portal' }, {}, '10.0.0.2'));
    expect(sessions.liveCount()).toBe(2);
    expect([...sessions.list({ user: 'alice-box' }).sessions]).toEqual([
      {
        route: 'default',
        protocol: 'cesbo',
        caller: '10.0.0.1',
        session: 's1',
        user: 'alice-box',
        channel: 'a001',
        ip: '203.0.113.7',
        userAgent: 'VLC/3.0',
        firstSeen: '2026-01-01T00:00:00.000Z',
        lastSeen: '2026-01-01T00:00:05.000Z',
        decision: 'deny',
        by: 'backend',
      },
    ]);
    // The new session, then the changed decision: written; the token never is.
    expect(rows.map((r) => [r.session, r.decision, r.allowed])).toEqual([
      ['s1', 'allow', true],
      ['s1', 'deny', true],
      ['s1', 'allow', true],
    ]);
    expect(JSON.stringify(rows)).not.toContain('secret-token');
  });

  it('names the user by local login, else X-Session-Name, else X-UserId', () => {
    const { sessions } = tracker();
    sessions.checkAnswered(
      check(
        'a',
        { allow: false, decidedBy: 'user:bob (expired)' },
        { credentials: { login: 'bob', password: 'pw-never-kept' } },
      ),
    );
    sessions.checkAnswered(check('b', { allow: true, decidedBy: 'backend:m', userId: '7' }));
    sessions.checkAnswered(check('c', { allow: true, decidedBy: 'ip-rule (allow 10.0.0.0/8)' }));
    expect([...sessions.list().sessions].map((s) => [s.session, s.user])).toEqual([
      ['c', undefined],
      ['b', '7'],
      ['a', 'bob'],
    ]);
    expect(JSON.stringify([...sessions.list().sessions])).not.toContain('pw-never-kept');
  });

  it('a later check that names a user names the session: a deny, then allows as user 7001, then 7002', () => {
    const { sessions, rows, clock } = tracker();
    sessions.checkAnswered(check('s', { allow: false, decidedBy: 'backend:m' }));
    clock.advance(1000);
    sessions.checkAnswered(check('s', { allow: true, decidedBy: 'backend:m', userId: '7001' }));
    expect([...sessions.list().sessions].map((s) => s.user)).toEqual(['7001']);
    clock.advance(1000);
    // Same decision as the check before: written because the user changed, not only the verdict.
    sessions.checkAnswered(check('s', { allow: true, decidedBy: 'backend:m', userId: '7002' }));
    expect([...sessions.list().sessions].map((s) => s.user)).toEqual(['7002']);
    expect(rows.map((row) => row.user)).toEqual([undefined, '7001', '7002']);
    const [tracked] = sessions.find(() => true);
    expect(belongsTo(tracked!, { userId: '7002' })).toBe(true);
    // A check that names nobody leaves the user as it was.
    sessions.checkAnswered(check('s', { allow: true, decidedBy: 'ip-rule (allow 10.0.0.0/8)' }));
    expect([...sessions.list().sessions].map((s) => s.user)).toEqual(['7002']);
  });

  it('does not track refused checks or checks without a session id', () => {
    const { sessions } = tracker();
    sessions.checkAnswered(check('s1', undefined));
    sessions.checkAnswered(check(undefined, { allow: true, decidedBy: 'default' }));
    expect(sessions.liveCount()).toBe(0);
  });

  it('ends a session not checked again within idleTtl as idle, at its last check', () => {
    const { clock, rows, sessions } = tracker({ idleTtlSeconds: 60 });
    sessions.checkAnswered(check('old', { allow: true, decidedBy: 'default' }));
    clock.advance(30_000);
    sessions.checkAnswered(check('new', { allow: true, decidedBy: 'default' }));
    clock.advance(35_000);
    expect([...sessions.list().sessions].map((s) => s.session)).toEqual(['new']);
    const ended = rows.find((r) => r.session === 'old' && r.endReason)!;
    expect(ended).toMatchObject({ endReason: 'idle', endedAt: Date.UTC(2026, 0, 1) });
    clock.advance(60_000);
    expect(sessions.liveCount()).toBe(0);
  });

  it('ends a session the streaming server reports closed', () => {
    const { rows, sessions } = tracker();
    sessions.checkAnswered(check('s1', { allow: true, decidedBy: 'default' }));
    sessions.sessionEnded(endedNotice('s1'));
    expect(sessions.liveCount()).toBe(0);
    expect(rows.at(-1)).toMatchObject({ session: 's1', endReason: 'closed-by-server' });
  });

  it('ends at once a session whose check was answered after the server said it ended, and it began before', () => {
    const { clock, rows, sessions } = tracker();
    const heard: string[] = [];
    sessions.onEnd((ended, reason) => heard.push(`${ended.row.session} ${reason}`));
    // The viewer left 300 ms into a check that took 700 ms: the end came first.
    clock.advance(400);
    sessions.sessionEnded(endedNotice('s1'));
    clock.advance(400);
    sessions.checkAnswered({ ...check('s1', { allow: true, decidedBy: 'backend:mw' }), durationMs: 700 });
    expect(sessions.liveCount()).toBe(0);
    expect(heard).toEqual(['s1 closed-by-server']);
    // Ended no earlier than its one check: a session of no length, allowed, for the statistics.
    const answeredAt = clock.now();
    expect(rows.at(-1)).toMatchObject({
      session: 's1',
      allowed: true,
      firstSeen: answeredAt,
      endReason: 'closed-by-server',
      endedAt: answeredAt,
    });

    // A check that began after the end starts the session anew, and the end is forgotten.
    sessions.sessionEnded(endedNotice('s2'));
    clock.advance(1000);
    sessions.checkAnswered({ ...check('s2', { allow: true, decidedBy: 'backend:mw' }), durationMs: 700 });
    sessions.checkAnswered({ ...check('s2', { allow: true, decidedBy: 'backend:mw' }), durationMs: 5000 });
    expect([...sessions.list().sessions].map((s) => s.session)).toEqual(['s2']);
  });

  it('starts no second session for an update answered after the end of the session it checked, but frees its slot', () => {
    const { clock, rows, sessions } = tracker();
    const heard: string[] = [];
    sessions.onEnd((ended, reason) => heard.push(`${ended.row.session} ${reason}`));
    sessions.checkAnswered(check('s1', { allow: true, decidedBy: 'backend:mw' }));
    clock.advance(30_000);
    // An update_play goes out, the viewer leaves (play_done), then the update's allow comes.
    sessions.sessionEnded(endedNotice('s1'));
    const rowsAtEnd = rows.length;
    clock.advance(300);
    sessions.checkAnswered({ ...check('s1', { allow: true, decidedBy: 'backend:mw' }), durationMs: 500 });
    expect(sessions.liveCount()).toBe(0);
    expect(rows).toHaveLength(rowsAtEnd);
    expect(heard).toEqual(['s1 closed-by-server', 's1 closed-by-server']);
  });

  it('leaves one row, and no live session, when two checks of a session were under way as it ended', () => {
    const { clock, rows, sessions } = tracker();
    clock.advance(500);
    sessions.sessionEnded(endedNotice('s1'));
    clock.advance(300);
    for (const durationMs of [600, 400])
      sessions.checkAnswered({ ...check('s1', { allow: true, decidedBy: 'backend:mw' }), durationMs });
    expect(sessions.liveCount()).toBe(0);
    expect(new Set(rows.map((row) => row.id)).size).toBe(1);
  });

  it('ends the one session of an id on a notification that names no viewer address, and none of several', () => {
    const { sessions } = tracker();
    sessions.checkAnswered(check('s1', { allow: true, decidedBy: 'backend:mw' }));
    sessions.sessionEnded(endedNotice('s1', { ip: undefined }));
    expect(sessions.liveCount()).toBe(0);
    sessions.checkAnswered(check('s2', { allow: true, decidedBy: 'backend:mw' }, { ip: '203.0.113.7' }));
    sessions.checkAnswered(check('s2', { allow: true, decidedBy: 'backend:mw' }, { ip: '198.51.100.9' }));
    sessions.sessionEnded(endedNotice('s2', { ip: undefined }));
    expect(sessions.liveCount()).toBe(2);
  });

  it('keeps an end for a late check for ten minutes, not forever', () => {
    const { clock, sessions } = tracker({ idleTtlSeconds: 3600 });
    sessions.sessionEnded(endedNotice('s1'));
    clock.advance(11 * 60_000);
    sessions.checkAnswered({ ...check('s1', { allow: true, decidedBy: 'backend:mw' }), durationMs: 12 * 60_000 });
    expect(sessions.liveCount()).toBe(1);
  });

  it('past maxLive ends the least recently checked session as idle', () => {
    const { rows, sessions } = tracker({ maxLive: 10 });
    for (let i = 0; i < 10; i++) sessions.checkAnswered(check(`s${i}`, { allow: true, decidedBy: 'default' }));
    sessions.checkAnswered(check('s0', { allow: true, decidedBy: 'default' }));
    sessions.checkAnswered(check('s10', { allow: true, decidedBy: 'default' }));
    expect(sessions.liveCount()).toBe(10);
    expect([...sessions.list().sessions].map((s) => s.session)).not.toContain('s1');
    expect(rows.find((r) => r.session === 's1' && r.endReason === 'idle')).toBeDefined();
  });

  it('past maxLive makes room with a session never allowed first, so refused attempts do not end watching viewers', () => {
    const { rows, sessions } = tracker({ maxLive: 4 });
    const allowed = { allow: true, decidedBy: 'backend:mw' } as const;
    const denied = { allow: false, decidedBy: 'backend:mw' } as const;
    for (const id of ['b1', 'b2']) sessions.checkAnswered(check(id, allowed));
    sessions.checkAnswered(check('d1', denied));
    // Denied first, then allowed: it has been watched, and counts as any allowed session.
    sessions.checkAnswered(check('d2', denied));
    sessions.checkAnswered(check('d2', allowed));
    for (const id of ['d3', 'd4', 'd5']) sessions.checkAnswered(check(id, denied));
    expect([...sessions.list().sessions].map((s) => s.session).sort()).toEqual(['b1', 'b2', 'd2', 'd5']);
    expect(rows.filter((r) => r.endReason === 'idle').map((r) => r.session)).toEqual(['d1', 'd3', 'd4']);
    // With none left that was never allowed, the least recently checked goes.
    sessions.checkAnswered(check('d5', allowed));
    sessions.checkAnswered(check('b3', allowed));
    expect([...sessions.list().sessions].map((s) => s.session).sort()).toEqual(['b2', 'b3', 'd2', 'd5']);
  });

  it('tells its end listeners of every end with its reason, not of an eviction past maxLive, and stops when told', () => {
    const { clock, sessions } = tracker({ idleTtlSeconds: 60, maxLive: 3 });
    const heard: string[] = [];
    const stop = sessions.onEnd((ended, reason) => heard.push(`${ended.row.session} ${reason}`));
    const allowed = { allow: true, decidedBy: 'default' } as const;
    for (const id of ['s1', 's2', 's3']) sessions.checkAnswered(check(id, allowed));
    sessions.sessionEnded(endedNotice('s1'));
    sessions.checkAnswered(check('s4', allowed));
    // s2 is the least recently checked: evicted for s5, unheard.
    sessions.checkAnswered(check('s5', allowed));
    expect([...sessions.list().sessions].map((s) => s.session)).toEqual(['s5', 's4', 's3']);
    clock.advance(30_000);
    sessions.checkAnswered(check('s5', allowed));
    clock.advance(31_000);
    expect(heard).toEqual(['s1 closed-by-server', 's3 idle', 's4 idle']);
    stop();
    clock.advance(61_000);
    expect(sessions.liveCount()).toBe(0);
    expect(heard).toHaveLength(3);
  });

  it("writes a long session's progress once a minute, not on every check", () => {
    const { clock, rows, sessions } = tracker({ idleTtlSeconds: 3600 });
    for (let i = 0; i < 130; i++) {
      sessions.checkAnswered(check('s1', { allow: true, decidedBy: 'default' }));
      clock.advance(1000);
    }
    expect(rows.length).toBe(3);
    expect(rows.at(-1)!.lastSeen - rows[0]!.firstSeen).toBe(120_000);
  });

  it('filters by channel and route and counts per route', () => {
    const { sessions } = tracker();
    sessions.checkAnswered(check('s1', { allow: true, decidedBy: 'default' }, { channel: 'news' }));
    sessions.checkAnswered({ ...check('s2', { allow: true, decidedBy: 'default' }), route: 'vod' });
    expect([...sessions.list({ channel: 'news' }).sessions].map((s) => s.session)).toEqual(['s1']);
    expect([...sessions.list({ route: 'vod' }).sessions].map((s) => s.session)).toEqual(['s2']);
    expect([sessions.liveCount('default'), sessions.liveCount('vod'), sessions.liveCount('none')]).toEqual([1, 1, 0]);
  });

  it('matches a viewer for revoke by login, user id or token fingerprint', () => {
    const { sessions } = tracker();
    sessions.checkAnswered(check('s1', { allow: true, decidedBy: 'backend:m', userId: '9' }, { token: 'tok-1' }));
    sessions.checkAnswered(
      check(
        's2',
        { allow: true, decidedBy: 'user:carol', sessionName: 'carol' },
        { credentials: { login: 'carol', password: 'x' } },
      ),
    );
    const [s1, s2] = [
      sessions.find((s) => s.key === sessionKey('cesbo', '10.0.0.1', '203.0.113.7', 's1'))[0]!,
      sessions.find((s) => s.key === sessionKey('cesbo', '10.0.0.1', '203.0.113.7', 's2'))[0]!,
    ];
    expect(belongsTo(s1, { token: 'tok-1' })).toBe(true);
    expect(belongsTo(s1, { token: 'tok-2' })).toBe(false);
    expect(belongsTo(s1, { userId: '9' })).toBe(true);
    expect(belongsTo(s2, { login: 'carol' })).toBe(true);
    expect(belongsTo(s2, { userId: '9' })).toBe(false);
  });
});
