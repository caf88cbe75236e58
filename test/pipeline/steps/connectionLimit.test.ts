import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testBridge, type TestBridge } from '../../support/bridge.js';
import { startRedis, type RedisServer } from '../../support/redisServer.js';
import { startReplayServer, type ReplayServer } from '../../support/replayServer.js';

const PROMO = 'http://promo.example.com/limit';
const EVENTUALLY = { timeout: 10_000, interval: 100 };

let middleware: ReplayServer;

/** Backend users: X-UserId with X-Max-Sessions (and X-Unique), as Ministra and Flussonic-style middlewares answer. */
beforeAll(async () => {
  middleware = await startReplayServer([
    {
      request: { path: '/check', query: { token: 'family' } },
      response: { status: 200, headers: { 'X-UserId': '77', 'X-Max-Sessions': '2' } },
    },
    {
      request: { path: '/check', query: { token: 'single' } },
      response: { status: 200, headers: { 'X-UserId': '88', 'X-Max-Sessions': '1', 'X-Unique': 'true' } },
    },
    {
      request: { path: '/check', query: { token: 'unlimited' } },
      response: { status: 200, headers: { 'X-UserId': '99' } },
    },
    { request: { path: '/check' }, response: { status: 403 } },
  ]);
});
afterAll(() => middleware.close());

function bridgeDocument(extra: Record<string, unknown> = {}) {
  return {
    packages: { basic: ['a001'] },
    users: [{ login: 'testuser', token: 'local-token', maxConnections: 2 }],
    backends: { mw: { type: 'http', url: `${middleware.url}/check`, timeoutMs: 1000 } },
    routes: { default: { backends: ['mw'], denyRedirect: PROMO } },
    ...extra,
  };
}

const watch = (app: TestBridge['app'], token: string, session?: string) =>
  request(app)
    .get(`/auth?token=${token}`)
    .set({
      'X-Real-IP': '192.0.2.1',
      'X-Channel-ID': 'a001',
      ...(session === undefined ? {} : { 'X-Session-ID': session }),
    });

describe('connection limits in one bridge', () => {
  let bridge: TestBridge;
  beforeAll(() => {
    bridge = testBridge(bridgeDocument());
  });
  afterAll(() => bridge.close());

  it('a local user gets maxConnections distinct sessions; a session already counted always gets back in', async () => {
    await watch(bridge.app, 'local-token', 's1').expect(200);
    await watch(bridge.app, 'local-token', 's2').expect(200);
    const third = await watch(bridge.app, 'local-token', 's3').expect(403);
    expect(third.headers['x-location']).toBe(PROMO);
    expect(bridge.logs.at(-1)).toContain('"by":"user:testuser (over connection limit)"');
    await watch(bridge.app, 'local-token', 's1').expect(200);
    await watch(bridge.app, 'local-token', 's2').expect(200);
  });

  it('a request with no session id cannot be counted and is let in', async () => {
    await watch(bridge.app, 'local-token').expect(200);
  });

  it('a backend user (X-UserId + X-Max-Sessions) is limited the same way, cached answers included', async () => {
    await watch(bridge.app, 'family', 'tv').expect(200);
    await watch(bridge.app, 'family', 'phone').expect(200);
    const third = await watch(bridge.app, 'family', 'tablet').expect(403);
    expect(third.headers['x-location']).toBe(PROMO);
    expect(bridge.logs.at(-1)).toContain('"by":"connection-limit"');
    await watch(bridge.app, 'family', 'tv').expect(200);
  });

  it('the limit reaches Flussonic callers with the user id and the limit', async () => {
    const res = await request(bridge.app)
      .get('/flussonic?name=a001&ip=192.0.2.1&token=family&session_id=laptop')
      .expect(403);
    expect(res.headers['x-location']).toBe(PROMO);
    expect(res.headers).toMatchObject({ 'x-userid': '77', 'x-max-sessions': '2' });
  });

  it('X-Unique: true lets the newest session replace the older ones', async () => {
    await watch(bridge.app, 'single', 'first').expect(200);
    await watch(bridge.app, 'single', 'second').expect(200);
    await watch(bridge.app, 'single', 'third').expect(200);
  });

  it('a backend user without X-Max-Sessions has no limit', async () => {
    for (const session of ['a', 'b', 'c', 'd']) await watch(bridge.app, 'unlimited', session).expect(200);
  });
});

describe('sessions.idleTtl', () => {
  let bridge: TestBridge;
  beforeAll(() => {
    bridge = testBridge(bridgeDocument({ sessions: { idleTtl: 1 } }));
  });
  afterAll(() => bridge.close());

  it('a session not seen for idleTtl seconds no longer counts', async () => {
    await watch(bridge.app, 'local-token', 'old-1').expect(200);
    await watch(bridge.app, 'local-token', 'old-2').expect(200);
    await watch(bridge.app, 'local-token', 'new').expect(403);
    await vi.waitFor(async () => {
      await watch(bridge.app, 'local-token', 'new').expect(200);
    }, EVENTUALLY);
  });
});

describe('connection limits across bridge instances sharing Redis', () => {
  let redis: RedisServer;
  let first: TestBridge;
  let second: TestBridge;
  beforeAll(async () => {
    redis = await startRedis();
    const shared = bridgeDocument({ cache: { store: 'redis', redisUrl: redis.url } });
    first = testBridge(shared);
    second = testBridge(shared);
    await vi.waitFor(() => {
      expect(first.bridge.health().store.ok).toBe(true);
      expect(second.bridge.health().store.ok).toBe(true);
    }, EVENTUALLY);
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    await redis.stop();
  });

  it('a local user’s sessions count on every instance', async () => {
    await watch(first.app, 'local-token', 'r1').expect(200);
    await watch(second.app, 'local-token', 'r2').expect(200);
    await watch(first.app, 'local-token', 'r3').expect(403);
    await watch(second.app, 'local-token', 'r3').expect(403);
    await watch(second.app, 'local-token', 'r1').expect(200);
  });

  it('a backend user’s sessions count on every instance', async () => {
    await watch(first.app, 'family', 'r1').expect(200);
    await watch(second.app, 'family', 'r2').expect(200);
    await watch(second.app, 'family', 'r3').expect(403);
  });
});
