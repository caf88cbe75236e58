import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CheckAnswered } from '../../src/observe.js';
import type { Clock } from '../../src/clock.js';
import { sessionSlot } from '../../src/pipeline/admission.js';
import { keepCountedSlots, type SlotStore } from '../../src/sessions/countedSlots.js';
import { SessionTracker } from '../../src/sessions/tracker.js';
import { memoryStore } from '../../src/store/memory.js';
import { testBridge, type TestBridge } from '../support/bridge.js';
import { ManualClock } from '../support/manualClock.js';
import { type DecisionSketch, sketched } from '../support/decisions.js';

// The store's connection-limit counts follow the sessions the servers really have: an ended session
// frees its slot at once, a session a server still lists keeps it. The real pipeline counts, the
// real tracker hears the ends and the polls.

let opened: TestBridge | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

function bridgeWithTracker(maxLive = 100) {
  const clock = new ManualClock();
  const tracker = new SessionTracker({ idleTtlSeconds: 3600, maxLive, clock });
  opened = testBridge(
    {
      users: [
        { login: 'bob', token: 'bob-token', maxConnections: 1 },
        { login: 'carol', token: 'carol-token' },
      ],
      routes: { default: { default: 'deny' } },
      sessions: { idleTtl: 3600 },
    },
    { observer: tracker },
  );
  keepCountedSlots(tracker, opened.bridge.sessionCounts, { idleTtlSeconds: 3600, clock });
  const watch = (token: string, session: string) =>
    request(opened!.app)
      .get(`/auth?token=${token}`)
      .set('X-Session-ID', session)
      .set('X-Channel-ID', 'a001')
      .then((res) => res.status);
  const end = (session: string) => {
    const [live] = tracker.find((s) => s.row.session === session);
    expect(tracker.end(live!.key, 'closed-by-server')).toBe(true);
  };
  return { tracker, clock, watch, end };
}

/** The memory store reads Date.now(): under fake timers the tracker's clock reads the same time. */
const fakeTimeClock: Clock = { now: () => Date.now(), every: () => () => undefined };

/** A memory store whose calls are written down. */
function recordedStore() {
  const store = memoryStore({ maxEntries: 10 });
  const calls: string[] = [];
  const slots: SlotStore = {
    admitSession: (admission) => {
      calls.push(`admit ${admission.user} ${admission.session}`);
      return store.admitSession(admission);
    },
    releaseSession: (user, session) => {
      calls.push(`release ${user} ${session}`);
      return store.releaseSession(user, session);
    },
  };
  return { store, calls, slots };
}

/** The slot the limiting steps count a session of answered() in: its caller protocol, caller and id. */
const slot = (session: string) => sessionSlot('cesbo', '127.0.0.1', undefined, session)!;

function answered(session: string, decision: Partial<DecisionSketch> = {}): CheckAnswered {
  return {
    route: 'default',
    protocol: 'cesbo',
    caller: '127.0.0.1',
    viewer: { dialect: 'cesbo', rawQuery: '', session },
    decision: sketched({ allow: true, decidedBy: 'backend:mw', ttlSeconds: 60, ...decision }),
    outcome: 'allow',
    by: 'backend',
    cache: 'miss',
    status: 200,
    durationMs: 1,
  };
}

describe('keepCountedSlots', () => {
  it("an ended session of a local user frees their maxConnections slot at once; another's stays taken", async () => {
    const { watch, end } = bridgeWithTracker();
    expect(await watch('bob-token', 's1')).toBe(200);
    expect(await watch('bob-token', 's2')).toBe(403);
    end('s2');
    expect(await watch('bob-token', 's2')).toBe(403);
    end('s1');
    expect(await watch('bob-token', 's2')).toBe(200);
    expect(await watch('bob-token', 's1')).toBe(403);
  });

  it("an end notification frees only its own session: not one of another protocol's or viewer's with the same id", async () => {
    const { tracker } = bridgeWithTracker();
    const srs = (action: string, id: string, ip = '203.0.113.7') =>
      request(opened!.app)
        .post('/srs')
        .set('content-type', 'application/json')
        .send({ action, client_id: id, ip, app: 'live', stream: 'a001', param: '?token=bob-token' })
        .then((res) => res.status);
    const rtmp = (call: string, id: string) =>
      request(opened!.app)
        .post('/nginx-rtmp')
        .type('form')
        .send(`call=${call}&addr=203.0.113.7&clientid=${id}&app=live&name=a001&token=bob-token`)
        .then((res) => res.status);
    expect(await srs('on_play', '1')).toBe(200);
    expect(await srs('on_play', '2')).toBe(403);
    // nginx-rtmp on the same host, whose client 1 is another session: its end leaves SRS's client 1 watching.
    expect(await rtmp('play_done', '1')).toBe(200);
    expect(await srs('on_play', '2')).toBe(403);
    // SRS's own end of client 1, for another viewer, is not this viewer's session either.
    expect(await srs('on_stop', '1', '198.51.100.9')).toBe(200);
    expect(await srs('on_play', '2')).toBe(403);
    expect([...tracker.list().sessions].map((s) => [s.protocol, s.session])).toEqual([
      ['srs', '2'],
      ['srs', '1'],
    ]);
    expect(await srs('on_stop', '1')).toBe(200);
    expect(await srs('on_play', '2')).toBe(200);
  });

  it('frees the slot of a check answered after the server said its session ended (the viewer left while it was decided)', async () => {
    const { store, calls, slots } = recordedStore();
    const clock = new ManualClock();
    const tracker = new SessionTracker({ idleTtlSeconds: 3600, maxLive: 10, clock });
    keepCountedSlots(tracker, slots, { idleTtlSeconds: 3600, clock });
    const bob = { user: 'local:bob', limit: 1, unique: false };
    tracker.sessionEnded({
      route: 'default',
      protocol: 'cesbo',
      caller: '127.0.0.1',
      ip: undefined,
      session: 'a',
      reason: 'play_done',
    });
    clock.advance(400);
    // Counted by the limiting step, then answered: 700 ms after it began, 400 ms after the end.
    expect(await store.admitSession({ ...bob, session: slot('a'), idleTtlSeconds: 3600 })).toBe(true);
    tracker.checkAnswered({ ...answered('a', { decidedBy: 'user:bob', countedAs: bob }), durationMs: 700 });
    expect(calls.at(-1)).toBe(`release local:bob ${slot('a')}`);
    expect(tracker.liveCount()).toBe(0);
    expect(await store.admitSession({ ...bob, session: slot('b'), idleTtlSeconds: 3600 })).toBe(true);
    await store.close();
  });

  it('a session evicted to make room in the live table keeps its slot: it may still be watched', async () => {
    const { tracker, watch } = bridgeWithTracker(1);
    expect(await watch('bob-token', 's1')).toBe(200);
    expect(await watch('carol-token', 'c1')).toBe(200);
    expect([...tracker.list().sessions].map((s) => s.session)).toEqual(['c1']);
    expect(await watch('bob-token', 's2')).toBe(403);
  });

  it('frees the slot a backend allow was counted under (X-UserId, X-Max-Sessions), nothing for an unlimited one', async () => {
    const { store, calls, slots } = recordedStore();
    const tracker = new SessionTracker({ idleTtlSeconds: 3600, maxLive: 10, clock: new ManualClock() });
    keepCountedSlots(tracker, slots, { idleTtlSeconds: 3600, clock: new ManualClock() });
    const admission = { user: 'backend:42', limit: 1, idleTtlSeconds: 3600, unique: false };
    expect(await store.admitSession({ ...admission, session: slot('b1') })).toBe(true);
    tracker.checkAnswered(answered('b1', { userId: '42', maxSessions: 1 }));
    tracker.checkAnswered(answered('b2', { userId: '42' }));
    for (const session of tracker.find(() => true)) tracker.end(session.key, 'closed-by-server');
    expect(calls).toEqual([`release backend:42 ${slot('b1')}`]);
    expect(await store.admitSession({ ...admission, session: slot('b3') })).toBe(true);
    await store.close();
  });

  it('keeps counting a session the server still lists past idleTtl, re-counting it at most twice per idleTtl', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    try {
      const { store, calls, slots } = recordedStore();
      const tracker = new SessionTracker({ idleTtlSeconds: 60, maxLive: 10, clock: fakeTimeClock });
      const stop = keepCountedSlots(tracker, slots, { idleTtlSeconds: 60, clock: fakeTimeClock });
      const bob = { user: 'local:bob', limit: 1, unique: false };
      // As the local-users step does: counted, then answered.
      expect(await store.admitSession({ ...bob, session: slot('a'), idleTtlSeconds: 60 })).toBe(true);
      tracker.checkAnswered(answered('a', { decidedBy: 'user:bob', countedAs: bob }));
      const listed = tracker.find(() => true)[0]!;
      for (let second = 10; second <= 80; second += 10) {
        vi.advanceTimersByTime(10_000);
        tracker.touch(listed);
      }
      // Counted again at 30 s and 60 s after its check: at 80 s, a minute past its check, it still holds the slot.
      expect(calls).toEqual([`admit local:bob ${slot('a')}`, `admit local:bob ${slot('a')}`]);
      expect(await store.admitSession({ ...bob, session: slot('b'), idleTtlSeconds: 60 })).toBe(false);
      stop();
      tracker.touch(listed);
      tracker.end(listed.key, 'closed-by-server');
      expect(calls).toHaveLength(2);
      await store.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
