import { describe, expect, it } from 'vitest';
import type { CheckAnswered } from '../../src/observe.js';
import { SessionTracker } from '../../src/sessions/tracker.js';
import type { SessionRow } from '../../src/sessions/types.js';
import { sketched } from '../support/decisions.js';
import { ManualClock } from '../support/manualClock.js';

/** An allowed check of `session` on `route`. */
function allowed(session: string, route = 'default'): CheckAnswered {
  return {
    route,
    protocol: 'cesbo',
    caller: '10.0.0.1',
    viewer: { dialect: 'cesbo', rawQuery: '', session, channel: 'a001' },
    decision: sketched({ allow: true, decidedBy: 'backend:portal' }),
    outcome: 'allow',
    by: 'backend',
    cache: 'hit',
    status: 200,
    durationMs: 1,
  };
}

function tracker(maxLive = 10_000) {
  const clock = new ManualClock();
  const rows: SessionRow[] = [];
  // idleTtl 600 s: the sweep runs every 60 s of the clock.
  const sessions = new SessionTracker({ idleTtlSeconds: 600, maxLive, clock, sink: (row) => rows.push(row) });
  return { clock, rows, sessions };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('SessionTracker idle sweep and live counts', () => {
  it('ends many idle sessions 250 per turn of the event loop, every one with its row', async () => {
    const { clock, rows, sessions } = tracker();
    for (let i = 0; i < 625; i++) sessions.checkAnswered(allowed(`s${i}`));
    // The sweep at 600 s finds all 625 idle: it ends 250, the rest in the turns after.
    clock.advance(601_000);
    sessions.checkAnswered(allowed('fresh'));
    expect(sessions.liveCount()).toBe(376);
    // Checked again between two slices: live again, and no longer the sweep's to end.
    sessions.checkAnswered(allowed('s600'));
    await nextTurn();
    expect(sessions.liveCount()).toBe(126);
    await nextTurn();
    expect([...sessions.list().sessions].map((s) => s.session)).toEqual(['s600', 'fresh']);
    const ended = rows.filter((r) => r.endReason === 'idle');
    expect(ended).toHaveLength(624);
    expect(new Set(ended.map((r) => r.session)).size).toBe(624);
    sessions.close();
  });

  it('stops ending sessions once closed, even halfway through a sweep', async () => {
    const { clock, sessions } = tracker();
    for (let i = 0; i < 400; i++) sessions.checkAnswered(allowed(`s${i}`));
    clock.advance(601_000);
    sessions.close();
    await nextTurn();
    expect(sessions.liveCount()).toBe(150);
  });

  it('counts live sessions per route as they start, end and are evicted', () => {
    const { sessions } = tracker(3);
    sessions.checkAnswered(allowed('a', 'default'));
    sessions.checkAnswered(allowed('b', 'vod'));
    sessions.checkAnswered(allowed('b', 'vod'));
    expect([sessions.liveCount('default'), sessions.liveCount('vod'), sessions.liveCount('none')]).toEqual([1, 1, 0]);
    sessions.checkAnswered(allowed('c', 'vod'));
    // Past maxLive the least recently checked session (a, on default) makes room.
    sessions.checkAnswered(allowed('d', 'vod'));
    expect([sessions.liveCount('default'), sessions.liveCount('vod')]).toEqual([0, 3]);
    sessions.sessionEnded({
      route: 'vod',
      protocol: 'cesbo',
      caller: '10.0.0.1',
      ip: undefined,
      session: 'c',
      reason: 'on_stop',
    });
    expect([sessions.liveCount('vod'), sessions.liveCount()]).toEqual([2, 2]);
    sessions.close();
  });
});
