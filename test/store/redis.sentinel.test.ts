import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { testBridge, type TestBridge } from '../support/bridge.js';
import { startCheckLoop } from '../support/checkLoop.js';
import { type SentinelGroup, startSentinelGroup } from '../support/redisSentinel.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';
import { EVENTUALLY } from '../support/stores.js';

let middleware: ReplayServer;
let group: SentinelGroup;
let bridge: TestBridge;
let listener: Server;
let base: string;

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'));
});
afterAll(() => middleware.close());
beforeEach(async () => {
  group = await startSentinelGroup();
  bridge = testBridge({
    cache: { store: 'redis', redisUrl: group.url, redisTimeoutMs: 200 },
    backends: { mw: { type: 'http', url: `${middleware.url}/auth/check`, timeoutMs: 2000 } },
  });
  listener = createServer(bridge.app).listen(0, '127.0.0.1');
  await new Promise((resolve) => listener.once('listening', resolve));
  base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  await vi.waitFor(() => expect(bridge.bridge.health().store.ok).toBe(true), EVENTUALLY);
}, 30_000);
afterEach(async () => {
  listener.close();
  await bridge.close();
  await group.stop();
});

/** Checks a few viewers over and over (so some answers are cached, some asked) while `fault` runs; every answer. */
async function checksDuring(fault: () => Promise<number>) {
  // bad-token is one the middleware denies (403): a token no fixture names answers 500, opens the circuit, and
  // writesReach then waits out the breaker's cooldown, not the failover.
  const tokens = ['good-token', 'userid-token', 'bad-token'];
  const loop = startCheckLoop(
    base,
    tokens.map((token) => ({
      kind: token,
      path: `/auth?token=${token}`,
      headers: { 'x-real-ip': '203.0.113.1', 'x-channel-id': 'a001' },
    })),
    { concurrency: 4, maxChecks: 20_000, maxMs: 25_000, pauseMs: 5 },
  );
  await loop.answered(50);
  const primary = await fault();
  await loop.answered(50);
  return { primary, answers: await loop.stop() };
}

/** Decisions the bridge writes from now on land on `primary` (the server the sentinels name), and it is healthy. */
async function writesReach(primary: number): Promise<void> {
  const client = group.client(primary);
  const before = (await client.keys('iab:d:*')).length;
  await vi.waitFor(async () => {
    // A new query each time: a new decision to store.
    await fetch(`${base}/auth?token=good-token&fresh=${Date.now()}`, {
      headers: { 'x-real-ip': '198.51.100.9', 'x-channel-id': 'a001' },
    });
    expect((await client.keys('iab:d:*')).length).toBeGreaterThan(before);
    expect(bridge.bridge.health().store).toMatchObject({
      ok: true,
      detail: expect.stringMatching(
        /^connected to redis\+sentinel:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/mymaster\/0$/,
      ),
    });
  }, EVENTUALLY);
}

describe('redis store through Sentinel', () => {
  it('connects to the primary the sentinels name, and its decisions are stored there', async () => {
    const primary = await group.primaryPort();
    await fetch(`${base}/auth?token=good-token`, { headers: { 'x-real-ip': '203.0.113.1', 'x-channel-id': 'a001' } });
    await writesReach(primary);
  });

  it.each([
    ['a SENTINEL FAILOVER', (sentinels: SentinelGroup) => sentinels.failover()],
    ['killing the primary', (sentinels: SentinelGroup) => sentinels.killPrimary()],
  ])(
    '%s takes no decision down, and the bridge then writes to the new primary',
    async (_, fault) => {
      const { primary, answers } = await checksDuring(() => fault(group));
      // Allowed and denied viewers answered as always: never a 5xx or a dropped connection.
      expect([...new Set(answers.map((answer) => answer.status))].sort()).toEqual([200, 403]);
      await writesReach(primary);
    },
    40_000,
  );
});
