import { describe, expect, it } from 'vitest';
import type { CheckAnswered } from '../../src/observe.js';
import { SessionTracker } from '../../src/sessions/tracker.js';
import { aggregate, concurrency } from '../../src/stats/aggregate.js';
import { liveSummaries } from '../../src/stats/liveSummaries.js';
import type { StatsGrouping, Window } from '../../src/stats/types.js';
import { sketched } from '../support/decisions.js';
import { ManualClock } from '../support/manualClock.js';

// README, Viewing sessions and statistics: with stats: {store: off} the statistics are summed from the live
// sessions, a slice per turn of the event loop, and come out as summed in one go.

const LIVE = 30_000;
const HOUR = 3_600_000;
const rules = { idleTtlMs: HOUR };

/** Session `n`: seven channels, a thousand users (every 13th has none, so its IP counts), every 9th denied. */
function checkOf(n: number): CheckAnswered {
  const allow = n % 9 !== 4;
  return {
    route: n % 10 === 3 ? 'vod' : 'default',
    protocol: 'cesbo',
    caller: '10.0.0.1',
    viewer: { dialect: 'cesbo', rawQuery: '', session: `s${n}`, channel: `ch${n % 7}`, ip: `203.0.113.${n % 200}` },
    decision: sketched({
      allow,
      decidedBy: 'backend:portal',
      ...(n % 13 === 0 ? {} : { sessionName: `user${n % 1000}` }),
    }),
    outcome: allow ? 'allow' : 'deny',
    by: 'backend',
    cache: 'hit',
    status: allow ? 200 : 403,
    durationMs: 1,
  };
}

/** LIVE sessions started 10 s apart (over three and a half days), every fifth checked again a minute later. */
function busyTracker(): { clock: ManualClock; sessions: SessionTracker } {
  const clock = new ManualClock();
  // Nobody ends idle: every session stays live, whatever the span.
  const sessions = new SessionTracker({ idleTtlSeconds: 30 * 86_400, maxLive: LIVE, clock });
  for (let n = 0; n < LIVE; n++) {
    sessions.checkAnswered(checkOf(n));
    if (n % 5 === 0 && n >= 6) sessions.checkAnswered(checkOf(n - 6));
    clock.advance(10_000);
  }
  return { clock, sessions };
}

describe('statistics of the live sessions alone', () => {
  const { clock, sessions } = busyTracker();
  const summaries = liveSummaries(sessions);
  // Every session of them, and the last day alone (some open before it began).
  const windows: Window[] = [
    { since: Date.UTC(2025, 11, 31), until: clock.now() },
    { since: clock.now() - 86_400_000, until: clock.now() },
  ];
  const watched = () => sessions.rowsNow().filter((row) => row.allowed);

  it.each(['channel', 'user', 'day', 'route'] as StatsGrouping[])(
    'by %s: the same rows as summed in one turn, at 30,000 live sessions',
    async (by) => {
      for (const window of windows) {
        const rows = await summaries.rows(by, window, rules);
        expect(rows).toEqual(aggregate(watched(), by, window, rules));
        expect(rows.length).toBeGreaterThan(1);
      }
    },
  );

  it('concurrency: the same points as summed in one turn', async () => {
    for (const window of windows) {
      const points = await summaries.concurrency(window, 600, rules);
      expect(points).toEqual(concurrency(watched(), window, 600, rules));
      expect(points.some((point) => point.viewers > 0)).toBe(true);
    }
  });

  it('yields to the event loop while it sums: what waits for the next turn runs before the answer', async () => {
    const order: string[] = [];
    const summed = summaries.rows('channel', windows[0]!, rules).then(() => order.push('summed'));
    setImmediate(() => order.push('next turn'));
    await summed;
    expect(order).toEqual(['next turn', 'summed']);
  });

  it('a session checked while the sum goes on is not copied, and every watched session counts once', async () => {
    const [first] = sessions.find((session) => session.row.session === 's1');
    const row = first!.row;
    const summed = summaries.rows('channel', windows[0]!, rules);
    await new Promise<void>((resolve) => setImmediate(resolve));
    sessions.checkAnswered(checkOf(1));
    const rows = await summed;
    expect(first!.row).toBe(row);
    expect(rows.reduce((total, group) => total + group.sessions, 0)).toBe(watched().length);
  });
});
