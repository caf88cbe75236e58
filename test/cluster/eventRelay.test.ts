import { describe, expect, it } from 'vitest';
import { RELAY_EVERY_MS, relayObserver, replayInto } from '../../src/cluster/eventRelay.js';
import type { CheckAnswered } from '../../src/observe.js';
import { trackedCheckOf } from '../../src/sessions/trackedCheck.js';
import { belongsTo } from '../../src/sessions/trackedSession.js';
import { SessionTracker } from '../../src/sessions/tracker.js';
import type { SessionRow } from '../../src/sessions/types.js';
import { type DecisionSketch, sketched } from '../support/decisions.js';
import { ManualClock } from '../support/manualClock.js';
import { endedNotice } from '../support/sessionEnded.js';

function answered(session: string | undefined, decision: DecisionSketch | undefined, token = 'tok-1'): CheckAnswered {
  return {
    route: 'default',
    protocol: 'cesbo',
    caller: '10.0.0.1',
    viewer: { dialect: 'cesbo', rawQuery: `token=${token}`, token, session, ip: '203.0.113.7', channel: 'a001' },
    decision: decision && sketched(decision),
    outcome: decision === undefined ? 'refused' : decision.allow ? 'allow' : 'deny',
    by: decision === undefined ? 'refused' : (decision.decidedBy.split(/[: ]/)[0] as CheckAnswered['by']),
    cache: 'hit',
    status: 200,
    durationMs: 1,
  };
}

const ALLOW: DecisionSketch = { allow: true, decidedBy: 'backend:portal', userId: '42', maxSessions: 2 };
const DENY: DecisionSketch = { allow: false, decidedBy: 'backend:portal' };

function relayed() {
  const clock = new ManualClock();
  const batches: string[] = [];
  const relay = relayObserver((batch) => batches.push(batch), clock);
  return { clock, batches, relay };
}

function tracker(clock: ManualClock) {
  const rows: Omit<SessionRow, 'id'>[] = [];
  const sessions = new SessionTracker({
    idleTtlSeconds: 3600,
    maxLive: 100,
    clock,
    sink: ({ id: _id, ...row }) => rows.push(row),
  });
  return { rows, sessions };
}

describe('relayObserver', () => {
  it('sends what it heard every RELAY_EVERY_MS as one string, and at once when flushed', () => {
    const { clock, batches, relay } = relayed();
    relay.checkAnswered(answered('1', ALLOW));
    relay.sessionEnded(endedNotice('7'));
    clock.advance(RELAY_EVERY_MS - 1);
    expect(batches).toEqual([]);
    clock.advance(1);
    expect(batches).toHaveLength(1);
    expect(JSON.parse(batches[0]!)).toMatchObject([
      { check: { viewer: { session: '1' } } },
      { ended: endedNotice('7') },
    ]);
    clock.advance(10 * RELAY_EVERY_MS);
    // Nothing heard, nothing sent.
    expect(batches).toHaveLength(1);
    relay.checkAnswered(answered('2', ALLOW));
    relay.flush();
    expect(batches).toHaveLength(2);
  });

  it('sends only what the session tracker reads: no password, no query, no headers', () => {
    const { batches, relay } = relayed();
    const event = answered('1', ALLOW);
    relay.checkAnswered({
      ...event,
      viewer: { ...event.viewer!, credentials: { login: 'alice', password: 'pw-secret' }, path: '/tv/a001/i.m3u8' },
    });
    relay.flush();
    expect(batches[0]).not.toContain('pw-secret');
    expect(batches[0]).not.toContain('rawQuery');
    expect(batches[0]).not.toContain('i.m3u8');
    expect(JSON.parse(batches[0]!)[0].check.viewer.credentials).toEqual({ login: 'alice' });
  });

  it('folds checks of one session that change nothing but the time into one entry', () => {
    const { clock, batches, relay } = relayed();
    const first = clock.now();
    for (let n = 0; n < 50; n++) {
      relay.checkAnswered(answered('1', ALLOW));
      clock.advance(1);
    }
    relay.checkAnswered(answered('1', DENY));
    relay.checkAnswered(answered('1', DENY));
    relay.sessionEnded(endedNotice('1'));
    // After the end, a check starts a new session: it is not folded into the one before.
    relay.checkAnswered(answered('1', DENY));
    relay.flush();
    const entries = JSON.parse(batches[0]!);
    expect(entries).toHaveLength(4);
    expect(entries[0]).toMatchObject({ firstAt: first, at: first + 49, check: { decision: { allow: true } } });
    expect(entries[1]).toMatchObject({ check: { decision: { allow: false } } });
    expect(entries[2]).toEqual({ ended: endedNotice('1') });
    expect(entries[3]).toMatchObject({ check: { decision: { allow: false } } });
  });

  it('folds no check that differs in anything the tracker reads, each field changed in turn', () => {
    // Every field trackedCheckOf copies is set here, so each is changed below.
    const full: CheckAnswered = {
      ...answered('1', { ...ALLOW, unique: true, sessionName: 'alice' }),
      viewer: {
        ...answered('1', ALLOW).viewer!,
        userAgent: 'VLC/3.0',
        credentials: { login: 'alice', password: 'pw-secret' },
      },
    };
    const withCount = {
      ...full,
      decision: { ...full.decision!, countedAs: { user: 'local:alice', limit: 2, unique: false } },
    };
    const leaves = (value: unknown, path: string[] = []): string[][] =>
      typeof value === 'object' && value !== null
        ? Object.entries(value).flatMap(([key, inner]) => leaves(inner, [...path, key]))
        : [path];
    const changedAt = (event: CheckAnswered, path: readonly string[]): CheckAnswered => {
      const copy = structuredClone(event) as unknown as Record<string, unknown>;
      let parent = copy;
      for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
      const last = path.at(-1)!;
      const was = parent[last];
      parent[last] = typeof was === 'boolean' ? !was : typeof was === 'number' ? was + 1 : `${String(was)}-changed`;
      return copy as unknown as CheckAnswered;
    };
    // How long a check took matters to its session's first check alone (was it begun before the session's end?):
    // later checks that differ in nothing else fold.
    const paths = leaves(trackedCheckOf(withCount)).filter((path) => path.join('.') !== 'durationMs');
    expect(paths.map((path) => path.join('.'))).toEqual(
      expect.arrayContaining(['viewer.credentials.login', 'decision.answer.unique', 'decision.countedAs.limit']),
    );
    const variants: CheckAnswered[] = [
      ...paths.map((path) => changedAt(withCount, path)),
      full,
      { ...withCount, viewer: { ...withCount.viewer!, credentials: undefined } },
      { ...withCount, decision: { ...withCount.decision!, answer: undefined } },
      { ...withCount, viewer: { ...withCount.viewer!, publishing: true as const } },
    ];
    for (const variant of variants) {
      const { batches, relay } = relayed();
      relay.checkAnswered(withCount);
      relay.checkAnswered(variant);
      relay.checkAnswered(withCount);
      relay.flush();
      // Another caller, protocol, viewer address or session id is a session of its own (its entry, and the first
      // folded); a publish counts in none.
      const ownSession =
        variant.caller !== withCount.caller ||
        variant.protocol !== withCount.protocol ||
        variant.viewer?.ip !== withCount.viewer?.ip ||
        variant.viewer?.session !== withCount.viewer?.session;
      const expected = variant.viewer?.publishing ? 1 : ownSession ? 2 : 3;
      expect(JSON.parse(batches[0]!), JSON.stringify(variant)).toHaveLength(expected);
    }
  });

  it('sends nothing for a check that names no session or was refused', () => {
    const { batches, relay } = relayed();
    relay.checkAnswered(answered(undefined, ALLOW));
    relay.checkAnswered(answered('', ALLOW));
    relay.checkAnswered(answered('1', undefined));
    relay.flush();
    expect(batches).toEqual([]);
  });

  it('sends a long queue at once, before the clock says so', () => {
    const { batches, relay } = relayed();
    for (let n = 0; n < 5000; n++) relay.checkAnswered(answered(String(n), ALLOW));
    expect(batches).toHaveLength(1);
    expect(JSON.parse(batches[0]!)).toHaveLength(5000);
  });
});

describe('replayInto', () => {
  it("leaves the lead's tracker as the worker's own tracker would be: sessions, times, rows written", () => {
    const { clock, batches, relay } = relayed();
    const direct = tracker(clock);
    const heard = (event: CheckAnswered) => {
      relay.checkAnswered(event);
      direct.sessions.checkAnswered(event);
    };
    heard(answered('1', ALLOW));
    clock.advance(30);
    heard(answered('2', ALLOW, 'tok-2'));
    clock.advance(30);
    heard(answered('1', ALLOW));
    heard(answered('1', DENY));
    clock.advance(500);
    heard(answered('1', ALLOW));
    relay.sessionEnded(endedNotice('2'));
    direct.sessions.sessionEnded(endedNotice('2'));
    relay.flush();

    const leadClock = new ManualClock(clock.now());
    const lead = tracker(leadClock);
    for (const batch of batches) replayInto(lead.sessions, batch);
    expect(lead.sessions.list()).toEqual(direct.sessions.list());
    expect(lead.rows).toEqual(direct.rows);
    // Revoke and limits match on what the lead keeps (the token's fingerprint, the counted user).
    const [one] = lead.sessions.find((s) => belongsTo(s, { token: 'tok-1' }));
    expect(one?.counted).toEqual({ user: 'backend:42', limit: 2, unique: false });
  });

  it('goes on past an entry the tracker fails on', () => {
    const { batches, relay } = relayed();
    relay.checkAnswered(answered('1', ALLOW));
    relay.sessionEnded(endedNotice('1'));
    relay.flush();
    const seen: string[] = [];
    replayInto(
      {
        checkAnswered: () => {
          throw new Error('tracker bug');
        },
        sessionEnded: (event) => void seen.push(event.session!),
      },
      batches[0]!,
    );
    expect(seen).toEqual(['1']);
    expect(() => replayInto(undefined, batches[0]!)).not.toThrow();
  });
});
