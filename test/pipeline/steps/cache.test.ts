import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testBridge, type TestBridge } from '../../support/bridge.js';
import { closedPort, loadFixtures, startReplayServer, type ReplayServer } from '../../support/replayServer.js';

const httpFixtures = loadFixtures(join(import.meta.dirname, '..', '..', 'fixtures', 'http'));

let middleware: ReplayServer;
let bridges: TestBridge[];

beforeEach(async () => {
  middleware = await startReplayServer(httpFixtures);
  bridges = [];
});
afterEach(async () => {
  await Promise.all(bridges.map((b) => b.close()));
  await middleware.close();
});

/** A bridge with one Cesbo-style backend on the replayed middleware; `extra` merges into the config. */
function bridgeWith(extra: { cache?: object; backend?: object; route?: object } = {}): TestBridge {
  const bridge = testBridge({
    cache: extra.cache ?? {},
    backends: { mw: { type: 'http', url: `${middleware.url}/auth/check`, timeoutMs: 1000, ...extra.backend } },
    routes: { default: { backends: ['mw'], denyRedirect: 'http://promo.example.com/', ...extra.route } },
  });
  bridges.push(bridge);
  return bridge;
}

function check(bridge: TestBridge, token: string, ip = '203.0.113.1', channel = 'a001') {
  return request(bridge.app).get(`/auth?token=${token}`).set('X-Real-IP', ip).set('X-Channel-ID', channel);
}

/** The decision log lines, parsed. */
function decisions(bridge: TestBridge): Record<string, unknown>[] {
  return bridge.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === 'decision');
}

describe('decision cache', () => {
  it('answers a repeated allow from the cache without asking the middleware again', async () => {
    const bridge = bridgeWith();
    await check(bridge, 'good-token').expect(200).expect('X-Session-Name', 'alice');
    await check(bridge, 'good-token').expect(200).expect('X-Session-Name', 'alice');
    expect(middleware.received).toHaveLength(1);
    expect(decisions(bridge).map((d) => [d.by, d.cache])).toEqual([
      ['backend:mw', undefined],
      ['backend:mw', 'hit'],
    ]);
  });

  it('keys by ip and channel too', async () => {
    const bridge = bridgeWith();
    await check(bridge, 'good-token', '203.0.113.1', 'a001').expect(200);
    await check(bridge, 'good-token', '203.0.113.2', 'a001').expect(200);
    await check(bridge, 'good-token', '203.0.113.1', 'a002').expect(200);
    await check(bridge, 'good-token', '203.0.113.1', 'a001').expect(200);
    expect(middleware.received).toHaveLength(3);
  });

  it("keys by the whole viewer query in front of a Cesbo-style backend: viewers on one IP and channel never share another viewer's answer", async () => {
    const bridge = bridgeWith();
    const viewer = (query: string) =>
      request(bridge.app).get(`/auth${query}`).set('X-Real-IP', '203.0.113.1').set('X-Channel-ID', 'a001');
    await viewer('?key=allow').expect(200).expect('X-Session-Name', 'viewer-a');
    await viewer('?key=deny').expect(403);
    await viewer('').expect(403);
    expect(middleware.received.map((r) => r.rawQuery)).toEqual(['key=allow', 'key=deny', '']);
    // The same parameters in another order are the same question: answered from the cache.
    await viewer('?lang=en&key=allow').expect(200);
    await viewer('?key=allow&lang=en').expect(200);
    expect(middleware.received).toHaveLength(4);
  });

  it('follows cache.key: with [token] only, another IP and channel hit the same entry', async () => {
    const bridge = bridgeWith({ cache: { key: ['token'] } });
    await check(bridge, 'good-token', '203.0.113.1', 'a001').expect(200);
    await check(bridge, 'good-token', '203.0.113.2', 'a002').expect(200);
    expect(middleware.received).toHaveLength(1);
  });

  it('caches a deny for denyTtl, redirect included', async () => {
    const bridge = bridgeWith();
    await check(bridge, 'blocked-token').expect(403).expect('X-Location', 'http://promo.example.com/blocked');
    await check(bridge, 'blocked-token').expect(403).expect('X-Location', 'http://promo.example.com/blocked');
    expect(middleware.received).toHaveLength(1);
  });

  it('keeps a deny no longer than maxTtl either', async () => {
    const bridge = bridgeWith({ cache: { denyTtl: 30, maxTtl: 1 } });
    await request(bridge.app)
      .get('/flussonic?name=a001&ip=203.0.113.1&token=bad-token')
      .expect(403)
      .expect('X-AuthDuration', '1');
    await sleep(1200);
    await request(bridge.app).get('/flussonic?name=a001&ip=203.0.113.1&token=bad-token').expect(403);
    expect(middleware.received).toHaveLength(2);
  });

  it('does not cache a deny when denyTtl is 0', async () => {
    const bridge = bridgeWith({ cache: { denyTtl: 0 } });
    await check(bridge, 'bad-token').expect(403);
    await check(bridge, 'bad-token').expect(403);
    expect(middleware.received).toHaveLength(2);
  });

  it('never caches an error: every failed check asks the middleware again', async () => {
    const bridge = bridgeWith({ backend: { breaker: { failures: 0 } } });
    for (let i = 0; i < 3; i++) await check(bridge, 'crash-token').expect(403);
    expect(middleware.received).toHaveLength(3);
    expect(decisions(bridge).every((d) => d.by === 'default')).toBe(true);
  });

  it('keeps an allow for the X-AuthDuration the middleware gave, then asks again', async () => {
    const bridge = bridgeWith();
    await check(bridge, 'brief-token').expect(200);
    await check(bridge, 'brief-token').expect(200);
    expect(middleware.received).toHaveLength(1);
    await sleep(1200);
    await check(bridge, 'brief-token').expect(200);
    expect(middleware.received).toHaveLength(2);
  });

  it('caps X-AuthDuration by cache.maxTtl', async () => {
    const bridge = bridgeWith({ cache: { maxTtl: 1 } });
    await request(bridge.app)
      .get('/flussonic?name=a001&ip=203.0.113.1&token=userid-token')
      .expect(200)
      .expect('X-AuthDuration', '1');
    await sleep(1200);
    await request(bridge.app).get('/flussonic?name=a001&ip=203.0.113.1&token=userid-token').expect(200);
    expect(middleware.received).toHaveLength(2);
  });

  it('tells a Flussonic caller how long a cached allow still holds', async () => {
    const bridge = bridgeWith();
    await request(bridge.app)
      .get('/flussonic?name=a001&ip=203.0.113.1&token=userid-token')
      .expect(200)
      .expect('X-AuthDuration', '600');
    const again = await request(bridge.app).get('/flussonic?name=a001&ip=203.0.113.1&token=userid-token').expect(200);
    expect(Number(again.headers['x-authduration'])).toBeGreaterThan(590);
    expect(Number(again.headers['x-authduration'])).toBeLessThanOrEqual(600);
    // Flussonic reads X-UserId as a number: a non-numeric id still names the session.
    expect(again.headers['x-userid']).toBeUndefined();
    expect(again.headers['x-session-name']).toBe('stb-1001');
  });

  it('is off with cache.enabled: false', async () => {
    const bridge = bridgeWith({ cache: { enabled: false } });
    await check(bridge, 'good-token').expect(200);
    await check(bridge, 'good-token').expect(200);
    expect(middleware.received).toHaveLength(2);
  });
});

describe('coalescing', () => {
  it('makes one middleware request for 50 identical concurrent misses, and every viewer gets the answer', async () => {
    const bridge = bridgeWith();
    const answers = await Promise.all(Array.from({ length: 50 }, () => check(bridge, 'busy-token')));
    expect(answers.map((a) => [a.status, a.headers['x-session-name']])).toEqual(
      Array.from({ length: 50 }, () => [200, 'busy']),
    );
    expect(middleware.received).toHaveLength(1);
  });

  it('does not merge checks that differ in a key part', async () => {
    const bridge = bridgeWith();
    await Promise.all([check(bridge, 'busy-token', '203.0.113.1'), check(bridge, 'busy-token', '203.0.113.2')]);
    expect(middleware.received).toHaveLength(2);
  });
});

describe('stale-if-error', () => {
  it('answers a cached allow past its TTL while the middleware is down, and logs it as stale', async () => {
    const bridge = bridgeWith();
    await check(bridge, 'brief-token').expect(200).expect('X-Session-Name', 'brief');
    await middleware.close();
    await sleep(1200);
    await check(bridge, 'brief-token').expect(200).expect('X-Session-Name', 'brief');
    expect(decisions(bridge).at(-1)).toMatchObject({ decision: 'allow', by: 'backend:mw', cache: 'stale' });
    // A viewer the bridge never saw allowed is not let in by someone else's stale entry.
    await check(bridge, 'good-token').expect(403);
  });

  it('lets the route default decide once staleIfError has passed', async () => {
    const bridge = bridgeWith({ cache: { staleIfError: 0 } });
    await check(bridge, 'brief-token').expect(200);
    await middleware.close();
    await sleep(1200);
    await check(bridge, 'brief-token').expect(403).expect('X-Location', 'http://promo.example.com/');
  });

  it('does not turn a deny from the middleware into a stale allow', async () => {
    // Keyed by IP alone, so the second viewer lands on the first one's expired allow.
    const bridge = bridgeWith({ cache: { key: ['ip'] } });
    await check(bridge, 'brief-token').expect(200);
    await sleep(1200);
    await check(bridge, 'bad-token').expect(403);
    const last = decisions(bridge).at(-1);
    expect(last).toMatchObject({ decision: 'deny', by: 'backend:mw' });
    expect(last).not.toHaveProperty('cache');
  });
});

describe('circuit breaker', () => {
  it('skips a failing backend after `failures` errors in a row, probes it after the cool-down, and closes on success', async () => {
    const bridge = bridgeWith({ backend: { breaker: { failures: 2, cooldown: 1 } }, cache: { enabled: false } });
    await check(bridge, 'crash-token').expect(403);
    await check(bridge, 'crash-token').expect(403);
    expect(middleware.received).toHaveLength(2);

    // Open: decided at once by the default, without a request to the middleware.
    await check(bridge, 'good-token').expect(403);
    expect(middleware.received).toHaveLength(2);
    const open = await request(bridge.app).get('/healthz').expect(200);
    expect(open.body).toMatchObject({ status: 'degraded', backends: { mw: { circuit: 'open' } } });
    expect(bridge.logs.filter((line) => line.includes('backend circuit opened'))).toHaveLength(1);

    // Half-open after the cool-down: one probe; it fails, so the circuit opens again.
    await sleep(1100);
    await check(bridge, 'crash-token').expect(403);
    await check(bridge, 'good-token').expect(403);
    expect(middleware.received).toHaveLength(3);

    // Next probe succeeds: closed, every request goes through again.
    await sleep(1100);
    await check(bridge, 'good-token').expect(200);
    await check(bridge, 'bad-token').expect(403);
    expect(middleware.received).toHaveLength(5);
    const closed = await request(bridge.app).get('/healthz').expect(200);
    expect(closed.body).toMatchObject({ status: 'ok', backends: { mw: { circuit: 'closed' } } });
  });

  it('logs one opening however many failing checks were under way', async () => {
    const bridge = bridgeWith({ backend: { breaker: { failures: 2, cooldown: 60 } }, cache: { enabled: false } });
    await Promise.all(Array.from({ length: 8 }, (_, i) => check(bridge, 'crash-token', `203.0.113.${i + 1}`)));
    expect(bridge.logs.filter((line) => line.includes('backend circuit opened'))).toHaveLength(1);
  });

  it('counts a deny as a working backend', async () => {
    const bridge = bridgeWith({ backend: { breaker: { failures: 2, cooldown: 60 } }, cache: { enabled: false } });
    await check(bridge, 'crash-token').expect(403);
    await check(bridge, 'bad-token').expect(403);
    await check(bridge, 'crash-token').expect(403);
    await check(bridge, 'good-token').expect(200);
    expect(middleware.received).toHaveLength(4);
  });

  it('is not reset by checks an adapter decides without asking (Ministra without a token)', async () => {
    const refused = await closedPort();
    const bridge = testBridge({
      cache: { enabled: false },
      backends: {
        portal: {
          type: 'ministra',
          url: `http://127.0.0.1:${refused}/stalker_portal`,
          breaker: { failures: 2, cooldown: 60 },
        },
      },
    });
    bridges.push(bridge);
    await check(bridge, 'a'.repeat(32)).expect(403);
    await request(bridge.app).get('/auth').set('X-Real-IP', '203.0.113.1').expect(403);
    await check(bridge, 'b'.repeat(32)).expect(403);
    const health = await request(bridge.app).get('/healthz').expect(200);
    expect(health.body).toMatchObject({ backends: { portal: { circuit: 'open' } } });
  });

  it('with failures: 0 never opens', async () => {
    const bridge = bridgeWith({ backend: { breaker: { failures: 0 } }, cache: { enabled: false } });
    for (let i = 0; i < 8; i++) await check(bridge, 'crash-token').expect(403);
    expect(middleware.received).toHaveLength(8);
  });
});

describe('token binding', () => {
  it('denies a token from another IP while its allow lives, without asking the middleware', async () => {
    const bridge = bridgeWith({ backend: { bindTokenToIp: true } });
    await check(bridge, 'good-token', '203.0.113.1').expect(200);
    await check(bridge, 'good-token', '198.51.100.9').expect(403).expect('X-Location', 'http://promo.example.com/');
    await check(bridge, 'good-token', '203.0.113.1', 'a002').expect(200);
    expect(middleware.received).toHaveLength(2);
    expect(decisions(bridge)[1]).toMatchObject({ decision: 'deny', by: 'token-binding' });
  });

  it('lets only one of two IPs checked at the same moment keep the token, and keeps letting that one in', async () => {
    const bridge = bridgeWith({ backend: { bindTokenToIp: true } });
    const ips = Array.from({ length: 10 }, (_, i) => `198.51.100.${i + 1}`);
    const first = await Promise.all(ips.map((ip) => check(bridge, 'busy-token', ip)));
    const allowed = ips.filter((_, i) => first[i]!.status === 200);
    expect(allowed).toHaveLength(1);
    for (const ip of ips) await check(bridge, 'busy-token', ip).expect(ip === allowed[0] ? 200 : 403);
  });

  it('binds nothing when bindTokenToIp is off (the default for http)', async () => {
    const bridge = bridgeWith();
    await check(bridge, 'good-token', '203.0.113.1').expect(200);
    await check(bridge, 'good-token', '198.51.100.9').expect(200);
    expect(middleware.received).toHaveLength(2);
  });

  it('binds only allowed tokens', async () => {
    const bridge = bridgeWith({ backend: { bindTokenToIp: true } });
    await check(bridge, 'bad-token', '203.0.113.1').expect(403);
    await check(bridge, 'bad-token', '198.51.100.9').expect(403);
    expect(middleware.received).toHaveLength(2);
  });
});
