import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { redisStore } from '../../src/store/redis.js';
import { ANSWER_CHANNEL } from '../../src/store/redisMissShare.js';
import { STORE_SCRIPTS } from '../../src/store/redisScripts.js';
import type { Store } from '../../src/store/types.js';
import { memoryLogger, testBridge, type TestBridge } from '../support/bridge.js';
import { killLeftoverServers, startServe } from '../support/cli.js';
import { startRedis, type RedisServer } from '../support/redisServer.js';
import { closedPort, startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';
import { EVENTUALLY } from '../support/stores.js';

let redis: RedisServer;
let inspector: Redis;
let middleware: ReplayServer;
const opened: { bridge: TestBridge; server: Server }[] = [];
const stores: Store[] = [];

beforeAll(async () => {
  redis = await startRedis();
  inspector = new Redis(redis.url);
});
afterAll(async () => {
  killLeftoverServers();
  inspector.disconnect();
  await redis.stop();
});
beforeEach(async () => {
  await inspector.flushall();
  middleware = await startReplayServer(fixturesOf('http'));
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  for (const { server } of opened) server.close();
  await Promise.all(opened.splice(0).map(({ bridge }) => bridge.close()));
  await middleware.close();
});

/**
 * Generous for a loaded machine: at 200 ms, a holder's lock claim timed out under a load of 8 and it asked
 * without the lock, which this test is not about.
 */
const STORE_TIMEOUT_MS = 2000;

/**
 * Route budget: how long a waiter waits for another instance's answer, and how long its own ask may take.
 * Ample for a cold process: in a fresh clone's first run, 1,000 checks on three instances compiling as
 * they go outlasted 1.5 s, and a waiter whose budget ran out asked the middleware itself.
 */
const BUDGET_MS = 3000;
/**
 * The burst's own budget: a clean clone's CI run, with other test files starting servers beside it,
 * took longer than 3 s for the 1,000 checks, and a waiter that ran out asked the middleware itself.
 * The assertion is the count of middleware requests; the budget only bounds the wait.
 */
const BURST_BUDGET_MS = 10_000;
/**
 * The key both kinds of instance agree on: the viewer's IP and channel only (tokens differ in the dying-holder test).
 * Redis calls get STORE_TIMEOUT_MS, not the default 200 ms: under a load of 15, a lock claim among 1,000 checks took
 * longer, the instance asked at once as the README says it does when Redis does not answer, and the middleware was
 * asked 4 times, which these tests are not about.
 */
const cacheSection = (redisUrl: string) => ({
  store: 'redis',
  redisUrl,
  key: ['ip', 'channel'],
  redisTimeoutMs: STORE_TIMEOUT_MS,
});
const backend = () => ({ type: 'http', url: `${middleware.url}/auth/check`, timeoutMs: 5000 });

/** A bridge instance on the shared Redis, listening on a loopback port of its own. */
async function instance(
  budgetMs = BUDGET_MS,
  more: { cache?: Record<string, unknown>; route?: Record<string, unknown> } = {},
): Promise<string> {
  const bridge = testBridge({
    cache: { ...cacheSection(redis.url), ...more.cache },
    backends: { mw: backend() },
    routes: { tv: { backends: ['mw'], timeoutMs: budgetMs, ...more.route } },
  });
  const server = createServer(bridge.app).listen(0, '127.0.0.1');
  opened.push({ bridge, server });
  await new Promise((resolve) => server.once('listening', resolve));
  await vi.waitFor(() => expect(bridge.bridge.health().store.ok).toBe(true), EVENTUALLY);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Every instance hears the others' announcements. */
async function allListening(count: number): Promise<void> {
  await vi.waitFor(
    async () => expect(await inspector.pubsub('NUMSUB', ANSWER_CHANNEL)).toEqual([ANSWER_CHANNEL, count]),
    EVENTUALLY,
  );
}

async function check(base: string, token: string): Promise<{ status: number; name: unknown }> {
  const answer = await request(`${base}/auth/tv?token=${token}`, {
    headers: { 'x-real-ip': '203.0.113.1', 'x-channel-id': 'a001' },
  });
  await answer.body.dump();
  return { status: answer.statusCode, name: answer.headers['x-session-name'] };
}

describe('identical misses across instances on one Redis', () => {
  it('1,000 identical concurrent misses spread over 3 instances make one middleware request', async () => {
    const bases = await Promise.all([instance(BURST_BUDGET_MS), instance(BURST_BUDGET_MS), instance(BURST_BUDGET_MS)]);
    await allListening(3);
    // The middleware takes 300 ms: every check below arrives while the first is being asked.
    const answers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => check(bases[i % bases.length]!, 'busy-token')),
    );
    expect(answers.every((answer) => answer.status === 200 && answer.name === 'busy')).toBe(true);
    expect(middleware.received).toHaveLength(1);
    // Each instance answered its share: the two that did not ask waited for the one that did.
    const joined = opened.map(({ bridge }) => bridge.logs.filter((line) => line.includes('"status":200')).length);
    expect(joined.every((count) => count > 300)).toBe(true);
  });

  it('a lock holder that stored nothing (its middleware failed) hands the ask to the next instance', async () => {
    const [first, second] = await Promise.all([instance(), instance()]);
    await allListening(2);
    // `gateway-token` is answered 502: nothing is cached, and the waiting instance asks itself.
    const answers = await Promise.all([check(first, 'gateway-token'), check(second, 'gateway-token')]);
    expect(answers.map((answer) => answer.status)).toEqual([403, 403]);
    // One after the other: the second claims the miss once the first gave it back, or finds it free.
    expect(middleware.received).toHaveLength(2);
  });

  it('a deny cached for no time (denyTtl: 0) reaches the instances that waited on it, not their route default', async () => {
    // The middleware takes 1 s to deny, more than half the route's budget: a waiter that asked again after it (as after a
    // holder that failed) ran out of budget, and the route's default allow let the denied viewer in.
    await middleware.close();
    middleware = await startReplayServer([
      {
        request: { path: '/auth/check', query: { token: 'slow-deny-token' } },
        response: { status: 403, delayMs: 1000 },
      },
    ]);
    const settings = { cache: { denyTtl: 0 }, route: { default: 'allow' } };
    const bases = await Promise.all([instance(1800, settings), instance(1800, settings)]);
    await allListening(2);
    const answers = await Promise.all(bases.map((base) => check(base, 'slow-deny-token')));
    expect(answers.map((answer) => answer.status)).toEqual([403, 403]);
    expect(middleware.received).toHaveLength(1);
    const denies = opened.map(({ bridge }) => bridge.logs.filter((line) => line.includes('"by":"backend:mw"')).length);
    expect(denies).toEqual([1, 1]);
  });

  it('an instance killed while holding the lock makes the others wait until its lock ends, then ask with what is left of their budget', async () => {
    // The survivor's budget outlasts the doomed holder's lock (its route budget), so some is left to ask with:
    // at least three of the doomed's budgets, as a clean clone's first full run (cold, loaded) left too little
    // of two to ask with and the survivor answered 403.
    const survivorBudgetMs = 4 * BUDGET_MS;
    const survivor = await instance(survivorBudgetMs);
    const dir = mkdtempSync(join(tmpdir(), 'bridge-miss-share-'));
    const config = join(dir, 'bridge.json');
    writeFileSync(
      config,
      JSON.stringify({
        listen: '127.0.0.1:0',
        admin: { listen: 'off' },
        stats: { store: 'off' },
        cache: cacheSection(redis.url),
        backends: { mw: backend() },
        routes: { tv: { backends: ['mw'], timeoutMs: BUDGET_MS } },
      }),
    );
    const doomed = await startServe(['--config', config]);
    await allListening(2);
    // The doomed instance claims the miss and asks a middleware that never answers...
    const asking = check(doomed.url, 'hang-token').catch(() => undefined);
    await vi.waitFor(async () => expect(await inspector.keys('iab:lock:*')).toHaveLength(1), EVENTUALLY);
    await vi.waitFor(() => expect(middleware.received).toHaveLength(1), EVENTUALLY);
    // ...and dies holding the lock.
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    await asking;
    const started = performance.now();
    // On a failure, the survivor's own log says which step answered and why.
    const survivorLogs = () => opened[0]!.bridge.logs.join('\n');
    expect(await check(survivor, 'good-token'), survivorLogs()).toEqual({ status: 200, name: 'alice' });
    const waitedMs = performance.now() - started;
    expect(middleware.received.map((received) => received.query.token)).toEqual([['hang-token'], ['good-token']]);
    // A bound, not a speed measurement: the survivor's budget (the wait for the lock is part of it) and its grace.
    expect(waitedMs).toBeLessThan(survivorBudgetMs + 1000);
  });
});

describe('Store.shareMiss', () => {
  function store(url = redis.url): Store {
    const opened = redisStore({ url, timeoutMs: STORE_TIMEOUT_MS, log: memoryLogger([]) });
    stores.push(opened);
    return opened;
  }

  it('ignores what is not an announcement on its channel, and the waiter still gets the stored answer', async () => {
    const [holder, waiter] = [store(), store()];
    await allListening(2);
    let finish!: () => void;
    const asked = holder.shareMiss!('d:tv:k', 5000, async () => {
      await new Promise<void>((resolve) => (finish = resolve));
      await holder.set('d:tv:k', { allow: true }, 60);
      return 'holder asked';
    });
    await vi.waitFor(async () => expect(await inspector.exists('iab:lock:d:tv:k')).toBe(1), EVENTUALLY);
    let waiterAsked = false;
    const waited = waiter.shareMiss!('d:tv:k', 5000, async () => {
      waiterAsked = true;
      return 'waiter asked';
    });
    for (const junk of ['not json', '{"key":1}', '{"key":"d:tv:k"}', '[]', 'null'])
      await inspector.publish(ANSWER_CHANNEL, junk);
    finish();
    expect(await asked).toEqual({ asked: 'holder asked' });
    expect(await waited).toEqual({ stored: { allow: true } });
    expect(waiterAsked).toBe(false);
  });

  it('a waiter asks itself once Redis stalls, rather than wait out its budget for an announcement that cannot come', async () => {
    // Redis timeouts of 200 ms: the stall below lasts longer.
    const [holder, waiter] = [0, 1].map(() => {
      const opened = redisStore({ url: redis.url, timeoutMs: 200, log: memoryLogger([]) });
      stores.push(opened);
      return opened;
    }) as [Store, Store];
    await allListening(2);
    let finish!: () => void;
    const asked = holder.shareMiss!('d:tv:stall', 60_000, async () => {
      await new Promise<void>((resolve) => (finish = resolve));
      return 'holder asked';
    });
    await vi.waitFor(async () => expect(await inspector.exists('iab:lock:d:tv:stall')).toBe(1), EVENTUALLY);
    let waiterAsked: () => void;
    const waiterAsks = new Promise<void>((resolve) => (waiterAsked = resolve));
    const waited = waiter.shareMiss!('d:tv:stall', 60_000, async () => {
      waiterAsked();
      return 'waiter asked';
    });
    // The waiter waits on the lock (it asks Redis now and then whether the lock is still there)...
    await inspector.call('CONFIG', 'RESETSTAT');
    await vi.waitFor(async () => expect(await inspector.info('commandstats')).toContain('cmdstat_exists:'), EVENTUALLY);
    // ...then Redis stops answering anyone for longer than the timeouts.
    await inspector.call('CLIENT', 'PAUSE', '3000', 'ALL');
    // Within the stall (not at the end of its 60 s budget), the waiter has asked the middleware itself.
    await waiterAsks;
    expect(await waited).toEqual({ asked: 'waiter asked' });
    finish();
    expect(await asked).toEqual({ asked: 'holder asked' });
  });

  it('a holder done while Redis was silent releases its lock once Redis answers, not when the lock ends', async () => {
    // A short timeout, so that the write below marks Redis silent and the release after it is not sent at first.
    const holder = redisStore({ url: redis.url, timeoutMs: 300, log: memoryLogger([]) });
    stores.push(holder);
    await allListening(1);
    const asked = holder.shareMiss!('d:tv:left', 60_000, async () => {
      await inspector.call('CLIENT', 'PAUSE', '1500', 'WRITE');
      await holder.set('d:tv:left', { allow: true }, 60);
      return 'holder asked';
    });
    expect(await asked).toEqual({ asked: 'holder asked' });
    // The lock lives 60 s (the holder's budget); it goes within a few probes of Redis answering again.
    await vi.waitFor(async () => expect(await inspector.exists('iab:lock:d:tv:left')).toBe(0), EVENTUALLY);
  });

  it('asks at once while it cannot hear the other instances (Redis unreachable)', async () => {
    const alone = store(`redis://127.0.0.1:${await closedPort()}/0`);
    expect(await alone.shareMiss!('d:tv:k', 5000, async () => 'asked')).toEqual({ asked: 'asked' });
  });
});

describe('the claim script', () => {
  const claim = (lock: string, lockMs: number) =>
    inspector.eval(STORE_SCRIPTS.claimMiss.lua, 1, lock, 'waiter', lockMs) as Promise<number>;

  it('answers a lock ending in this very millisecond as ending now, never as living the whole budget', async () => {
    // A waiter's retry lands on the lock's end: claimed in a tight loop, each 3 ms lock passes through its
    // last millisecond (Redis answers its time left as 0) under several claims before one takes it.
    const answers: number[] = [];
    for (let round = 0; round < 20; round++) {
      await inspector.set('lock:end', 'holder', 'PX', 3);
      for (let answer = 0; answer !== 1; answers.push(answer)) answer = await claim('lock:end', 60_000);
      await inspector.del('lock:end');
    }
    expect(answers.filter((answer) => answer !== 1 && (answer > 0 || answer < -3))).toEqual([]);
  });

  it('counts a lock without an expiry (not one a bridge sets) as living what the caller asked for', async () => {
    await inspector.set('lock:forever', 'someone');
    expect(await claim('lock:forever', 5000)).toBe(-5000);
  });
});
