import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { sessionAdmitter } from '../../../src/pipeline/admission.js';
import { policySource } from '../../../src/pipeline/decision.js';
import { connectionLimitStep } from '../../../src/pipeline/steps/connectionLimit.js';
import { type DecisionSketch, sketched } from '../../support/decisions.js';
import { testBridge, type TestBridge } from '../../support/bridge.js';
import { startRedis, type RedisServer } from '../../support/redisServer.js';
import { useReplayedMiddleware } from '../../support/replayedMiddleware.js';
import { checkOf, nextAnswering, stepInputsFrom } from '../../support/stepInputs.js';

const PROMO = 'http://promo.example.com/limit';
const EVENTUALLY = { timeout: 10_000, interval: 100 };

/** Backend users: X-UserId with X-Max-Sessions (and X-Unique), as Ministra and Flussonic-style middlewares answer. */
const middleware = useReplayedMiddleware([
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

describe('a publish is no viewing (publish: check)', () => {
  let bridge: TestBridge;
  beforeAll(() => {
    const document = bridgeDocument();
    bridge = testBridge({
      ...document,
      users: [{ login: 'testuser', token: 'local-token', maxConnections: 1 }],
      routes: { default: { ...document.routes.default, publish: 'check' } },
    });
  });
  afterAll(() => bridge.close());

  const rtmp = (call: 'play' | 'publish', token: string, clientid: string) =>
    request(bridge.app)
      .post('/nginx-rtmp')
      .type('form')
      .send(`call=${call}&addr=192.0.2.1&clientid=${clientid}&app=live&name=a001&token=${token}`);

  it.each([
    ['a local user', 'local-token', 1],
    ['a backend user', 'family', 2],
  ])(
    '%s publishes and still watches as many sessions as the limit: the publish takes no slot',
    async (_who, token, limit) => {
      await rtmp('publish', token, '100').expect(200);
      for (let n = 1; n <= limit; n++) await rtmp('play', token, String(100 + n)).expect(200);
      // The limit itself still holds for viewing.
      await rtmp('play', token, '199').expect(403);
    },
  );
});

describe('sessions.idleTtl', () => {
  let bridge: TestBridge;
  beforeAll(() => {
    bridge = testBridge(bridgeDocument({ sessions: { idleTtl: 1 } }));
  });
  afterAll(() => bridge.close());
  // The memory store reads the time from Date: faked, so idleTtl passes at once.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a session not seen for idleTtl seconds no longer counts', async () => {
    await watch(bridge.app, 'local-token', 'old-1').expect(200);
    await watch(bridge.app, 'local-token', 'old-2').expect(200);
    await watch(bridge.app, 'local-token', 'new').expect(403);
    vi.advanceTimersByTime(1000);
    await watch(bridge.app, 'local-token', 'new').expect(403);
    vi.advanceTimersByTime(1001);
    await watch(bridge.app, 'local-token', 'new').expect(200);
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

const contexts: ReturnType<typeof stepInputsFrom>[] = [];
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

function limitContext() {
  const context = stepInputsFrom({
    backends: { portal: { type: 'http', url: 'http://127.0.0.1:9/check' } },
    routes: { default: { backends: ['portal'], denyRedirect: 'http://promo.example.com/' } },
  });
  contexts.push(context);
  return context;
}

/** The step as pipeline.ts builds it for the route. */
function limitStep() {
  const { store, config, route } = limitContext();
  return connectionLimitStep({
    admit: sessionAdmitter(store, config.sessions.idleTtl),
    denyRedirect: route.denyRedirect,
  });
}

const allowFor = (more: Partial<DecisionSketch>) =>
  sketched({ allow: true, decidedBy: 'backend:portal', userId: '1001', maxSessions: 2, ...more });
const session = (id: string) => checkOf({ session: id, ip: '203.0.113.1' });

describe('connectionLimitStep on its own', () => {
  it('admits sessions up to X-Max-Sessions, then denies the next one naming the user', async () => {
    const step = limitStep();
    const verdict = allowFor({ sessionName: 'alice' });
    expect(await step(session('s1'), nextAnswering(verdict))).toBe(verdict);
    expect(await step(session('s2'), nextAnswering(verdict))).toBe(verdict);
    expect(await step(session('s3'), nextAnswering(verdict))).toEqual({
      allow: false,
      source: policySource('connection-limit'),
      redirect: 'http://promo.example.com/',
      // Named as the allows are (statistics by user count the refused attempt under alice, not 1001).
      answer: { userId: '1001', maxSessions: 2, sessionName: 'alice' },
    });
    // A session already counted always gets back in.
    expect(await step(session('s1'), nextAnswering(verdict))).toBe(verdict);
  });

  it('counts the same session id from another streaming server, caller protocol or viewer address as another session', async () => {
    const step = limitStep();
    const verdict = allowFor({ maxSessions: 1 });
    const first = { session: '7', ip: '203.0.113.1', caller: '192.0.2.10', dialect: 'nginx-rtmp' } as const;
    expect(await step(checkOf(first), nextAnswering(verdict))).toBe(verdict);
    for (const other of [
      { ...first, caller: '192.0.2.11' },
      { ...first, dialect: 'srs' },
      { ...first, ip: '203.0.113.2' },
      { ...first, caller: undefined },
    ] as const)
      expect((await step(checkOf(other), nextAnswering(verdict))).source).toEqual(policySource('connection-limit'));
    // The session itself still gets back in.
    expect(await step(checkOf(first), nextAnswering(verdict))).toBe(verdict);
  });

  it("keeps on its deny how the allow it overrules was had, from the cache or the backends, for the metrics' cache label", async () => {
    const step = limitStep();
    const cached = { ...allowFor({ maxSessions: 1 }), cache: 'hit' as const };
    await step(session('s1'), nextAnswering(cached));
    expect(await step(session('s2'), nextAnswering(cached))).toMatchObject({ allow: false, cache: 'hit' });
    const asked = { ...allowFor({ maxSessions: 1 }), miss: 'asked' as const };
    expect(await step(session('s3'), nextAnswering(asked))).toMatchObject({ allow: false, miss: 'asked' });
  });

  it('with X-Unique lets the newest session replace the older ones', async () => {
    const step = limitStep();
    const verdict = allowFor({ maxSessions: 1, unique: true });
    await step(session('s1'), nextAnswering(verdict));
    expect(await step(session('s2'), nextAnswering(verdict))).toBe(verdict);
    expect((await step(session('s1'), nextAnswering(verdict))).allow).toBe(true);
  });

  it('counts nothing for a deny, an allow without a user or a limit, or a limit below 1', async () => {
    const step = limitStep();
    for (const verdict of [
      sketched({ allow: false, decidedBy: 'backend:portal', userId: '1001', maxSessions: 1 }),
      allowFor({ userId: undefined, maxSessions: 1 }),
      allowFor({ maxSessions: undefined }),
      allowFor({ maxSessions: 0 }),
    ]) {
      for (const id of ['s1', 's2', 's3']) expect(await step(session(id), nextAnswering(verdict))).toBe(verdict);
    }
  });

  it('lets a viewer without a session id in: there is nothing to count', async () => {
    const context = limitContext();
    const admit = sessionAdmitter(context.store, context.config.sessions.idleTtl);
    const admission = { user: 'backend:1001', limit: 1, unique: false };
    expect(await admit('s1', admission)).toBe(true);
    expect(await admit('s2', admission)).toBe(false);
    expect(await admit(undefined, admission)).toBe(true);
  });
});
