import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkAsAstra, decisionsOf, useCesboBridges } from '../../support/cesboBridges.js';
import { useReplayedMiddleware } from '../../support/replayedMiddleware.js';

// A fresh middleware per test: each counts only its own requests.
const middleware = useReplayedMiddleware('http', { perTest: true });
const bridgeWith = useCesboBridges(middleware);

// The cache step and the memory store read the time from Date: faked, so a TTL passes at once. Timers,
// sockets and the event loop stay real.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets `ms` pass on the faked Date. */
const passes = (ms: number) => vi.advanceTimersByTime(ms);

describe('decision cache', () => {
  it('answers a repeated allow from the cache without asking the middleware again', async () => {
    const bridge = bridgeWith();
    await checkAsAstra(bridge, 'good-token').expect(200).expect('X-Session-Name', 'alice');
    await checkAsAstra(bridge, 'good-token').expect(200).expect('X-Session-Name', 'alice');
    expect(middleware.received).toHaveLength(1);
    expect(decisionsOf(bridge).map((d) => [d.by, d.cache])).toEqual([
      ['backend:mw', undefined],
      ['backend:mw', 'hit'],
    ]);
  });

  it('keys by ip and channel too', async () => {
    const bridge = bridgeWith();
    await checkAsAstra(bridge, 'good-token', '203.0.113.1', 'a001').expect(200);
    await checkAsAstra(bridge, 'good-token', '203.0.113.2', 'a001').expect(200);
    await checkAsAstra(bridge, 'good-token', '203.0.113.1', 'a002').expect(200);
    await checkAsAstra(bridge, 'good-token', '203.0.113.1', 'a001').expect(200);
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
    await checkAsAstra(bridge, 'good-token', '203.0.113.1', 'a001').expect(200);
    await checkAsAstra(bridge, 'good-token', '203.0.113.2', 'a002').expect(200);
    expect(middleware.received).toHaveLength(1);
  });

  it('caches a deny for denyTtl, redirect included', async () => {
    const bridge = bridgeWith();
    await checkAsAstra(bridge, 'blocked-token').expect(403).expect('X-Location', 'http://promo.example.com/blocked');
    await checkAsAstra(bridge, 'blocked-token').expect(403).expect('X-Location', 'http://promo.example.com/blocked');
    expect(middleware.received).toHaveLength(1);
  });

  it('keeps a deny no longer than maxTtl either', async () => {
    const bridge = bridgeWith({ cache: { denyTtl: 30, maxTtl: 1 } });
    await request(bridge.app)
      .get('/flussonic?name=a001&ip=203.0.113.1&token=bad-token')
      .expect(403)
      .expect('X-AuthDuration', '1');
    passes(1200);
    await request(bridge.app).get('/flussonic?name=a001&ip=203.0.113.1&token=bad-token').expect(403);
    expect(middleware.received).toHaveLength(2);
  });

  it('does not cache a deny when denyTtl is 0', async () => {
    const bridge = bridgeWith({ cache: { denyTtl: 0 } });
    await checkAsAstra(bridge, 'bad-token').expect(403);
    await checkAsAstra(bridge, 'bad-token').expect(403);
    expect(middleware.received).toHaveLength(2);
  });

  it('never caches an error: every failed check asks the middleware again', async () => {
    const bridge = bridgeWith({ backend: { breaker: { failures: 0 } } });
    for (let i = 0; i < 3; i++) await checkAsAstra(bridge, 'crash-token').expect(403);
    expect(middleware.received).toHaveLength(3);
    expect(decisionsOf(bridge).every((d) => d.by === 'default')).toBe(true);
  });

  it('keeps an allow for the X-AuthDuration the middleware gave, then asks again', async () => {
    const bridge = bridgeWith();
    await checkAsAstra(bridge, 'brief-token').expect(200);
    await checkAsAstra(bridge, 'brief-token').expect(200);
    expect(middleware.received).toHaveLength(1);
    passes(1200);
    await checkAsAstra(bridge, 'brief-token').expect(200);
    expect(middleware.received).toHaveLength(2);
  });

  it('caps X-AuthDuration by cache.maxTtl', async () => {
    const bridge = bridgeWith({ cache: { maxTtl: 1 } });
    await request(bridge.app)
      .get('/flussonic?name=a001&ip=203.0.113.1&token=userid-token')
      .expect(200)
      .expect('X-AuthDuration', '1');
    passes(1200);
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
    await checkAsAstra(bridge, 'good-token').expect(200);
    await checkAsAstra(bridge, 'good-token').expect(200);
    expect(middleware.received).toHaveLength(2);
  });
});

describe('coalescing', () => {
  it('makes one middleware request for 50 identical concurrent misses, and every viewer gets the answer', async () => {
    const bridge = bridgeWith();
    const answers = await Promise.all(Array.from({ length: 50 }, () => checkAsAstra(bridge, 'busy-token')));
    expect(answers.map((a) => [a.status, a.headers['x-session-name']])).toEqual(
      Array.from({ length: 50 }, () => [200, 'busy']),
    );
    expect(middleware.received).toHaveLength(1);
  });

  it('does not merge checks that differ in a key part', async () => {
    const bridge = bridgeWith();
    await Promise.all([
      checkAsAstra(bridge, 'busy-token', '203.0.113.1'),
      checkAsAstra(bridge, 'busy-token', '203.0.113.2'),
    ]);
    expect(middleware.received).toHaveLength(2);
  });
});

describe('stale-if-error', () => {
  it('answers a cached allow past its TTL while the middleware is down, and logs it as stale', async () => {
    const bridge = bridgeWith();
    await checkAsAstra(bridge, 'brief-token').expect(200).expect('X-Session-Name', 'brief');
    await middleware.close();
    passes(1200);
    await checkAsAstra(bridge, 'brief-token').expect(200).expect('X-Session-Name', 'brief');
    expect(decisionsOf(bridge).at(-1)).toMatchObject({ decision: 'allow', by: 'backend:mw', cache: 'stale' });
    // A viewer the bridge never saw allowed is not let in by someone else's stale entry.
    await checkAsAstra(bridge, 'good-token').expect(403);
  });

  it('lets the route default decide once staleIfError has passed', async () => {
    const bridge = bridgeWith({ cache: { staleIfError: 0 } });
    await checkAsAstra(bridge, 'brief-token').expect(200);
    await middleware.close();
    passes(1200);
    await checkAsAstra(bridge, 'brief-token').expect(403).expect('X-Location', 'http://promo.example.com/');
  });

  it('with denyTtl: 0, forgets the earlier allow a deny from the middleware stands against: no stale allow at the next failure', async () => {
    // Keyed by IP alone, so the second check lands on the first one's expired allow: the same viewer, now denied.
    const bridge = bridgeWith({ cache: { key: ['ip'], denyTtl: 0 } });
    await checkAsAstra(bridge, 'brief-token').expect(200);
    passes(1200);
    await checkAsAstra(bridge, 'bad-token').expect(403);
    await middleware.close();
    await checkAsAstra(bridge, 'brief-token').expect(403).expect('X-Location', 'http://promo.example.com/');
    expect(decisionsOf(bridge).at(-1)).toMatchObject({ decision: 'deny', by: 'default' });
  });

  it('does not turn a deny from the middleware into a stale allow', async () => {
    // Keyed by IP alone, so the second viewer lands on the first one's expired allow.
    const bridge = bridgeWith({ cache: { key: ['ip'] } });
    await checkAsAstra(bridge, 'brief-token').expect(200);
    passes(1200);
    await checkAsAstra(bridge, 'bad-token').expect(403);
    const last = decisionsOf(bridge).at(-1);
    expect(last).toMatchObject({ decision: 'deny', by: 'backend:mw' });
    expect(last).not.toHaveProperty('cache');
  });
});
