import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { testBridge, type TestBridge } from '../../support/bridge.js';
import { startRedis, type RedisServer } from '../../support/redisServer.js';
import { useReplayedMiddleware } from '../../support/replayedMiddleware.js';
import { EVENTUALLY } from '../../support/stores.js';

let redis: RedisServer;
/** Reads what the bridges wrote, as an operator's redis-cli would. */
let watcher: Redis;
const middleware = useReplayedMiddleware('http', { perTest: true });
let bridges: TestBridge[];

beforeAll(async () => {
  redis = await startRedis({ password: 'r3dis-pa55' });
  watcher = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: null });
  // Reconnects on its own after the tests kill and restart Redis.
  watcher.on('error', () => undefined);
});
afterAll(async () => {
  watcher.disconnect();
  await redis.stop();
});
beforeEach(() => {
  bridges = [];
});
afterEach(async () => {
  await Promise.all(bridges.map((b) => b.close()));
});

/** A bridge instance on the shared Redis; several of them stand for several machines. */
function instance(backend: object = {}): TestBridge {
  const bridge = testBridge({
    cache: { store: 'redis', redisUrl: redis.url, redisTimeoutMs: 200 },
    backends: { mw: { type: 'http', url: `${middleware.url}/auth/check`, timeoutMs: 1000, ...backend } },
  });
  bridges.push(bridge);
  return bridge;
}

function check(bridge: TestBridge, token: string, ip = '203.0.113.1') {
  return request(bridge.app).get(`/auth?token=${token}`).set('X-Real-IP', ip).set('X-Channel-ID', 'a001');
}

async function storeReady(bridge: TestBridge): Promise<void> {
  await vi.waitFor(() => expect(bridge.bridge.health().store).toMatchObject({ store: 'redis', ok: true }), EVENTUALLY);
}

/**
 * Writes to Redis are not awaited by the viewer's answer: runs `act`, then
 * waits until Redis holds `keys` more keys than before it.
 */
async function landed(act: () => Promise<unknown>, keys = 1): Promise<void> {
  const before = await watcher.dbsize();
  await act();
  await vi.waitFor(async () => expect(await watcher.dbsize()).toBeGreaterThanOrEqual(before + keys), EVENTUALLY);
}

describe('decision cache on a shared Redis', () => {
  it('a decision one instance asked the middleware for is answered by another from Redis', async () => {
    const [first, second] = [instance(), instance()];
    await Promise.all([storeReady(first), storeReady(second)]);
    await landed(() => check(first, 'good-token').expect(200).expect('X-Session-Name', 'alice'));
    await check(second, 'good-token').expect(200).expect('X-Session-Name', 'alice');
    expect(middleware.received).toHaveLength(1);
    expect(second.logs.some((line) => line.includes('"cache":"hit"'))).toBe(true);
  });

  it('shares token bindings: another instance denies the token from another IP without asking', async () => {
    const [first, second] = [instance({ bindTokenToIp: true }), instance({ bindTokenToIp: true })];
    await Promise.all([storeReady(first), storeReady(second)]);
    await landed(() => check(first, 'userid-token', '203.0.113.1').expect(200));
    await check(second, 'userid-token', '198.51.100.2').expect(403);
    expect(middleware.received).toHaveLength(1);
  });

  it('keeps no token or password in clear in Redis keys or values', async () => {
    const bridge = instance({ bindTokenToIp: true });
    await storeReady(bridge);
    await landed(async () => {
      await check(bridge, 'good-token').expect(200);
      await request(bridge.app).get('/auth?auth=dave:s3cret').set('X-Real-IP', '203.0.113.1').expect(200);
    }, 2);
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('*');
      expect(keys.length).toBeGreaterThanOrEqual(3);
      // Decisions and bindings are strings, revocation indexes sets, session counts sorted sets.
      const read = async (key: string) => {
        const type = await client.type(key);
        if (type === 'set') return (await client.smembers(key)).join(' ');
        if (type === 'zset') return (await client.zrange(key, '0', '-1')).join(' ');
        return client.get(key);
      };
      const values = await Promise.all(keys.map(read));
      const everything = [...keys, ...values].join('\n');
      for (const secret of ['good-token', 's3cret', 'dave:s3cret']) expect(everything).not.toContain(secret);
    } finally {
      client.disconnect();
    }
  });

  it('keeps answering while Redis is down (as cache misses), says so in /healthz, and uses Redis again once it is back', async () => {
    const bridge = instance();
    await storeReady(bridge);
    await check(bridge, 'good-token').expect(200);
    await redis.kill();
    for (let i = 0; i < 5; i++) await check(bridge, 'good-token').expect(200);
    await check(bridge, 'bad-token').expect(403);
    expect(middleware.received.length).toBeGreaterThanOrEqual(6);
    const down = await request(bridge.app).get('/healthz').expect(200);
    expect(down.body).toMatchObject({ status: 'degraded', store: { store: 'redis', ok: false } });
    expect(JSON.stringify(down.body)).not.toContain('r3dis-pa55');

    await redis.restart();
    await storeReady(bridge);
    await landed(() => check(bridge, 'blocked-token').expect(403));
    const asked = middleware.received.length;
    await check(bridge, 'blocked-token').expect(403);
    expect(middleware.received).toHaveLength(asked);
    expect(bridge.logs.join('\n')).not.toContain('r3dis-pa55');
  });
});

describe('a deny on a Redis that refuses writes (full)', () => {
  it('drops the allow it stands against, which Redis still deletes, so no instance serves it stale at the next failure', async () => {
    // Keyed by IP alone, so the deny lands on the first viewer's allow: the same viewer, now denied.
    const bridge = testBridge({
      cache: { store: 'redis', redisUrl: redis.url, redisTimeoutMs: 200, key: ['ip'] },
      backends: { mw: { type: 'http', url: `${middleware.url}/auth/check`, timeoutMs: 1000 } },
    });
    bridges.push(bridge);
    await storeReady(bridge);
    const before = new Set(await watcher.keys('iab:d:*'));
    await landed(() => check(bridge, 'brief-token').expect(200));
    const ours = (await watcher.keys('iab:d:*')).filter((key) => !before.has(key));
    expect(ours).toHaveLength(1);
    const decisions = async () => (await watcher.exists(...ours)) as number;
    // The cache step reads the time from Date: faked, so the allow's lifetime (1 s) passes at once.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.advanceTimersByTime(1200);
      await watcher.config('SET', 'maxmemory', '1');
      await check(bridge, 'bad-token').expect(403);
      await vi.waitFor(async () => expect(await decisions()).toBe(0), EVENTUALLY);
      await watcher.config('SET', 'maxmemory', '0');
      await middleware.close();
      await check(bridge, 'brief-token').expect(403);
      // The deny itself (kept in this instance's memory, as Redis refused it) or the default: no stale allow.
      expect(bridge.logs.at(-1)).toContain('"decision":"deny"');
      expect(bridge.logs.at(-1)).not.toContain('"cache":"stale"');
    } finally {
      vi.useRealTimers();
      await watcher.config('SET', 'maxmemory', '0');
    }
  });
});
