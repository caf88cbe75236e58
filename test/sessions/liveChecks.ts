import type { CheckAnswered } from '../../src/observe.js';
import { SessionTracker } from '../../src/sessions/tracker.js';
import { sketched } from '../support/decisions.js';
import { ManualClock } from '../support/manualClock.js';

/** An allowed check of session `n`: seven channels, a thousand users, every tenth session on route `vod`. */
export function checkOf(n: number, session = `s${n}`): CheckAnswered {
  return {
    route: n % 10 === 3 ? 'vod' : 'default',
    protocol: 'cesbo',
    caller: '10.0.0.1',
    viewer: { dialect: 'cesbo', rawQuery: '', session, channel: `ch${n % 7}`, ip: '203.0.113.7' },
    decision: sketched({ allow: true, decidedBy: 'backend:portal', sessionName: `user${n % 1000}` }),
    outcome: 'allow',
    by: 'backend',
    cache: 'hit',
    status: 200,
    durationMs: 1,
  };
}

/** `live` sessions (and no more: `maxLive`), checked in order a millisecond apart from the clock's start: s<live-1> is the most recent. */
export function busyTracker(live: number, clock = new ManualClock()): { clock: ManualClock; sessions: SessionTracker } {
  const sessions = new SessionTracker({ idleTtlSeconds: 3600, maxLive: live, clock });
  for (let n = 0; n < live; n++) {
    sessions.checkAnswered(checkOf(n));
    clock.advance(1);
  }
  return { clock, sessions };
}
