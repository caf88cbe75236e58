import { describe, expect, it } from 'vitest';
import type { CheckAnswered } from '../../src/observe.js';
import { trackedCheckOf } from '../../src/sessions/trackedCheck.js';
import { SessionTracker } from '../../src/sessions/tracker.js';
import type { SessionRow } from '../../src/sessions/types.js';
import { sketched } from '../support/decisions.js';
import { ManualClock } from '../support/manualClock.js';

/** An allowed check of session `s1` from one caller, by a backend. */
function allowed(allow = true): CheckAnswered {
  return {
    route: 'default',
    protocol: 'cesbo',
    caller: '10.0.0.1',
    viewer: { dialect: 'cesbo', rawQuery: '', session: 's1', channel: 'a001' },
    decision: sketched({ allow, decidedBy: 'backend:portal' }),
    outcome: allow ? 'allow' : 'deny',
    by: 'backend',
    cache: 'hit',
    status: allow ? 200 : 403,
    durationMs: 1,
  };
}

function tracker() {
  const clock = new ManualClock();
  const rows: SessionRow[] = [];
  const sessions = new SessionTracker({ idleTtlSeconds: 600, maxLive: 10, clock, sink: (row) => rows.push(row) });
  return { clock, rows, sessions };
}

describe('SessionTracker rows of a channel name that carries a query', () => {
  it("lists and writes it masked, for a check a single process hears (the whole event) as for a worker's relay", () => {
    const { rows, sessions } = tracker();
    const check = allowed();
    sessions.checkAnswered({ ...check, viewer: { ...check.viewer!, channel: 'a001?token=good-LEAK4' } });
    sessions.checkAnswered(
      trackedCheckOf({ ...check, viewer: { ...check.viewer!, session: 's2', channel: 'a?sig=LEAK5' } })!,
    );
    expect(rows.map((row) => row.channel)).toEqual(['a001?token=***', 'a?sig=***']);
    expect([...sessions.list().sessions].map((session) => session.channel)).toEqual(['a?sig=***', 'a001?token=***']);
  });
});

// The statistics writer tells a changed row by its identity and may hold it until its next batch.
describe('SessionTracker rows handed out', () => {
  it('never changes a row the sink holds: the next check of the session works on a copy', () => {
    const { clock, rows, sessions } = tracker();
    sessions.checkAnswered(allowed());
    const written = { ...rows[0]! };
    clock.advance(1000);
    sessions.checkAnswered(allowed());
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual(written);
    const [live] = sessions.find(() => true);
    expect(live!.row).not.toBe(rows[0]);
    expect(live!.row.lastSeen).toBe(written.lastSeen + 1000);
  });

  it('updates a row nobody else holds in place, and hands a changed one out as a new object', () => {
    const { clock, rows, sessions } = tracker();
    sessions.checkAnswered(allowed());
    clock.advance(1000);
    sessions.checkAnswered(allowed());
    const own = sessions.find(() => true)[0]!.row;
    clock.advance(1000);
    sessions.checkAnswered(allowed());
    expect(sessions.find(() => true)[0]!.row).toBe(own);
    expect(own.lastSeen).toBe(rows[0]!.lastSeen + 2000);
    clock.advance(1000);
    sessions.checkAnswered(allowed(false));
    expect(rows).toHaveLength(2);
    expect(rows[1]).toBe(own);
    expect(rows[1]).toMatchObject({ decision: 'deny', allowed: true, lastSeen: rows[0]!.lastSeen + 3000 });
    clock.advance(1000);
    sessions.checkAnswered(allowed(false));
    expect(rows[1]!.lastSeen).toBe(rows[0]!.lastSeen + 3000);
  });

  it('copies a row before it changes once rows() handed it out', () => {
    const { clock, sessions } = tracker();
    sessions.checkAnswered(allowed());
    clock.advance(1000);
    sessions.checkAnswered(allowed());
    const [listed] = sessions.rows();
    const seen = listed!.lastSeen;
    clock.advance(1000);
    sessions.checkAnswered(allowed());
    expect(listed!.lastSeen).toBe(seen);
    expect(sessions.rows()[0]!.lastSeen).toBe(seen + 1000);
  });

  it('rowsNow() hands nothing out: the next check still changes the same row in place', () => {
    const { clock, rows, sessions } = tracker();
    sessions.checkAnswered(allowed());
    clock.advance(1000);
    sessions.checkAnswered(allowed());
    const [read] = sessions.rowsNow();
    const seen = read!.lastSeen;
    clock.advance(1000);
    sessions.checkAnswered(allowed());
    expect(read!.lastSeen).toBe(seen + 1000);
    expect(sessions.rowsNow()[0]).toBe(read);
    // The sink got the start only: reading the rows wrote nothing either.
    expect(rows).toHaveLength(1);
  });
});
