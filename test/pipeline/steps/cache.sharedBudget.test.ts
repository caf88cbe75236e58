import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ANSWER_CHANNEL } from '../../../src/store/redisMissShare.js';
import { testBridge, type TestBridge } from '../../support/bridge.js';
import { startRedis, type RedisServer } from '../../support/redisServer.js';
import { useReplayedMiddleware } from '../../support/replayedMiddleware.js';
import { EVENTUALLY } from '../../support/stores.js';

// A miss that waits for another instance's ask (coalescing across instances on one Redis) spends
// its own route budget waiting: what is left is its own ask's, not a fresh budget. Seen in how its
// own middleware request ends: cut by the route's budget, not by the backend's longer timeoutMs.

let redis: RedisServer;
let watcher: Redis;
const middleware = useReplayedMiddleware('http', { perTest: true });
const bridges: TestBridge[] = [];

beforeAll(async () => {
  redis = await startRedis();
  watcher = new Redis(redis.url);
});
afterAll(async () => {
  watcher.disconnect();
  await redis.stop();
});
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((bridge) => bridge.close()));
  await watcher.flushall();
});

/** The route's budget, longer than the backend's own timeout, as README "Stores: memory and Redis" asks. */
const ROUTE_BUDGET_MS = 1500;
const BACKEND_TIMEOUT_MS = 1000;

function instance(): TestBridge {
  const bridge = testBridge({
    cache: { store: 'redis', redisUrl: redis.url, redisTimeoutMs: 500, key: ['ip', 'channel'] },
    backends: { mw: { type: 'http', url: `${middleware.url}/auth/check`, timeoutMs: BACKEND_TIMEOUT_MS } },
    routes: { tv: { backends: ['mw'], timeoutMs: ROUTE_BUDGET_MS } },
  });
  bridges.push(bridge);
  return bridge;
}

const check = (bridge: TestBridge, token: string) =>
  request(bridge.app).get(`/auth/tv?token=${token}`).set('X-Real-IP', '203.0.113.1').set('X-Channel-ID', 'a001');

/** What each `backend failed` line of `bridge` says went wrong (`timeout`, `cancelled`, ...). */
const backendErrors = (bridge: TestBridge) =>
  bridge.logs
    .map((line) => JSON.parse(line) as { message: string; error?: string })
    .filter((line) => line.message === 'backend failed')
    .map((line) => line.error);

describe('a miss shared across instances stays within its route budget', () => {
  it("waits for another instance's ask out of its own budget, then asks with what is left", async () => {
    const [first, second] = [instance(), instance()];
    await vi.waitFor(() => {
      for (const bridge of [first, second]) expect(bridge.bridge.health().store.ok).toBe(true);
    }, EVENTUALLY);
    await vi.waitFor(
      async () => expect(await watcher.pubsub('NUMSUB', ANSWER_CHANNEL)).toEqual([ANSWER_CHANNEL, 2]),
      EVENTUALLY,
    );

    // The first instance holds the miss and asks a middleware that never answers...
    const asking = check(first, 'hang-token').then((answer) => answer.status);
    await vi.waitFor(async () => expect(await watcher.keys('iab:lock:*')).toHaveLength(1), EVENTUALLY);
    await vi.waitFor(() => expect(middleware.received).toHaveLength(1), EVENTUALLY);
    // ...while the second waits for it; when the first gives up (its backend's timeout), nothing is
    // stored, and the second asks itself.
    const waiting = check(second, 'hang-token').then((answer) => answer.status);
    expect(await Promise.all([asking, waiting])).toEqual([403, 403]);
    expect(middleware.received).toHaveLength(2);

    // The first was cut by the backend's own timeout; the second by what its wait left of its
    // route budget, less than the backend's timeout: its ask did not get a budget of its own.
    await vi.waitFor(() => expect(backendErrors(second)).toHaveLength(1), EVENTUALLY);
    expect(backendErrors(first)).toEqual(['timeout']);
    expect(backendErrors(second)).toEqual(['cancelled']);
    expect(second.logs.join('\n')).toContain('"by":"default"');
  });
});
