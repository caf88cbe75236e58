import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckAnswered } from '../../src/observe.js';
import { releaseCountedSessions } from '../../src/sessions/release.js';
import { SessionTracker } from '../../src/sessions/tracker.js';
import { memoryStore } from '../../src/store/memory.js';
import { testBridge, type TestBridge } from '../support/bridge.js';
import { ManualClock } from '../support/manualClock.js';

// A viewing session that ends frees the connection-limit slot it was counted in, at once
// instead of after sessions.idleTtl: the real pipeline counts, the real tracker hears the end.

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
    tracker,
  );
  tracker.onEnd(releaseCountedSessions(opened.bridge));
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

describe('releaseCountedSessions', () => {
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

  it('a session evicted to make room in the live table keeps its slot: it may still be watched', async () => {
    const { tracker, watch } = bridgeWithTracker(1);
    expect(await watch('bob-token', 's1')).toBe(200);
    expect(await watch('carol-token', 'c1')).toBe(200);
    expect(tracker.list().map((s) => s.session)).toEqual(['c1']);
    expect(await watch('bob-token', 's2')).toBe(403);
  });

  it('frees the slot a backend allow was counted under (X-UserId, X-Max-Sessions), nothing for an unlimited one', async () => {
    const store = memoryStore({ maxEntries: 10 });
    const tracker = new SessionTracker({ idleTtlSeconds: 3600, maxLive: 10, clock: new ManualClock() });
    const released: string[] = [];
    tracker.onEnd(
      releaseCountedSessions({
        releaseSession: (user, session) => {
          released.push(`${user} ${session}`);
          return store.releaseSession(user, session);
        },
      }),
    );
    const admission = { user: 'backend:42', limit: 1, idleTtlSeconds: 3600, unique: false };
    expect(await store.admitSession({ ...admission, session: 'b1' })).toBe(true);
    const answered = (session: string, extra: object): CheckAnswered => ({
      route: 'default',
      protocol: 'cesbo',
      caller: '127.0.0.1',
      viewer: { dialect: 'cesbo', rawQuery: '', session },
      decision: { allow: true, decidedBy: 'backend:mw', ttlSeconds: 60, userId: '42', ...extra },
      outcome: 'allow',
      by: 'backend',
      cache: 'miss',
      status: 200,
      durationMs: 1,
    });
    tracker.checkAnswered(answered('b1', { maxSessions: 1 }));
    tracker.checkAnswered(answered('b2', {}));
    for (const session of tracker.find(() => true)) tracker.end(session.key, 'closed-by-server');
    expect(released).toEqual(['backend:42 b1']);
    expect(await store.admitSession({ ...admission, session: 'b3' })).toBe(true);
    await store.close();
  });
});
