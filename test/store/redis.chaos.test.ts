import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Clock, systemClock } from '../../src/clock.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { WRITES_SETTLE_MS } from '../../src/store/redisGuard.js';
import { memoryLogger, testBridge, type TestBridge } from '../support/bridge.js';
import { startCheckLoop, type CheckLoop, type LoopAnswer } from '../support/checkLoop.js';
import { startRedis, type RedisServer } from '../support/redisServer.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';
import { EVENTUALLY } from '../support/stores.js';

// Redis paused, killed and restarted, and full, under a loop of checks through the real bridge
// (served on a socket) in front of a replayed Ministra: every check is answered explicitly within
// the route's budget, a token stays bound to its first IP, and /healthz names the cause.

/** Ministra's recorded allows (any IP: Ministra binds its tokens to nothing). */
const BOUND_TOKEN = '6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7';
const FRESH_TOKEN = '9d7b5f3e1c0a48266e4c2a0f9e8d7c6b';
const DENIED_TOKEN = '0b8d6f4e2c1a39578e6d4c2b0a9f8e7d';
const VIEWER_A = '203.0.113.1';
const VIEWER_B = '198.51.100.2';
const ROUTE_BUDGET_MS = 2000;
/** Each scenario runs a few hundred checks; this only turns a hang into a failure. */
const SCENARIO_TIMEOUT_MS = 90_000;
/** Checks answered while the fault lasts, and again once it is over. */
const CHECKS_PER_PHASE = 40;

let redis: RedisServer;
let middleware: ReplayServer;
let bridge: TestBridge;
let serving: RunningServer;
let loop: CheckLoop | undefined;
/** The bridge's clock runs this far ahead of the real one: moved on by hand where the store waits out time. */
let aheadMs = 0;
const clock: Clock = { now: () => Date.now() + aheadMs, every: systemClock.every };

afterEach(async () => {
  await loop?.stop();
  loop = undefined;
  aheadMs = 0;
  await serving?.stop(1000);
  await bridge?.close();
  await middleware?.close();
  redis?.thaw();
  await redis?.stop();
});

const check = (token: string, ip: string, session: string) => ({
  path: `/auth/tv?token=${token}`,
  headers: { 'x-real-ip': ip, 'x-session-id': session, 'x-channel-id': 'a001' },
});

function get(token: string, ip: string, session: string) {
  const { path, headers } = check(token, ip, session);
  return request(`http://127.0.0.1:${serving.address.port}${path}`, { headers }).then(async (answer) => {
    await answer.body.dump();
    return answer.statusCode;
  });
}

async function healthDetail(): Promise<string> {
  const answer = await request(`http://127.0.0.1:${serving.address.port}/healthz`);
  const body = (await answer.body.json()) as { store: { detail: string } };
  return body.store.detail;
}

/** A bridge on its own Redis, serving on a loopback socket, with a binding made while Redis was up and a loop of checks running. */
async function underLoad(): Promise<void> {
  [redis, middleware] = await Promise.all([startRedis(), startReplayServer(fixturesOf('ministra'))]);
  bridge = testBridge(
    {
      cache: { store: 'redis', redisUrl: redis.url, redisTimeoutMs: 200 },
      backends: { portal: { type: 'ministra', url: `${middleware.url}/stalker_portal`, timeoutMs: 1000 } },
      routes: { tv: { backends: ['portal'], timeoutMs: ROUTE_BUDGET_MS } },
    },
    { clock },
  );
  serving = await listen(bridge.app, { host: '127.0.0.1', port: 0, maxHeaderBytes: 16_384, log: memoryLogger([]) });
  await vi.waitFor(() => expect(bridge.bridge.health().store.ok).toBe(true), EVENTUALLY);
  expect(await get(BOUND_TOKEN, VIEWER_A, '1')).toBe(200);
  expect(await get(BOUND_TOKEN, VIEWER_B, '2')).toBe(403);
  loop = startCheckLoop(
    `http://127.0.0.1:${serving.address.port}`,
    [
      { kind: 'bound-ip', ...check(BOUND_TOKEN, VIEWER_A, '1') },
      { kind: 'other-ip', ...check(BOUND_TOKEN, VIEWER_B, '2') },
      { kind: 'denied', ...check(DENIED_TOKEN, VIEWER_A, '3') },
    ],
    { concurrency: 4, maxChecks: 5000, maxMs: 60_000 },
  );
  await loop.answered(CHECKS_PER_PHASE);
}

/** Runs the fault, lifts it, and checks every answer of the loop. */
async function through(fault: {
  start(): Promise<void> | void;
  cause: RegExp;
  end(): Promise<void> | void;
}): Promise<void> {
  await underLoad();
  loop!.phase = 'fault';
  await fault.start();
  // A token first allowed while Redis cannot take its binding stays bound to that IP. (Its binding
  // claim is also the write that shows a full Redis: cached hits write nothing that Redis refuses.)
  expect(await get(FRESH_TOKEN, VIEWER_A, '4')).toBe(200);
  expect(await get(FRESH_TOKEN, VIEWER_B, '5')).toBe(403);
  await vi.waitFor(async () => expect(await healthDetail()).toMatch(fault.cause), EVENTUALLY);
  expect(bridge.bridge.health().status).toBe('degraded');
  await loop!.answered(CHECKS_PER_PHASE);
  expect(await get(FRESH_TOKEN, VIEWER_B, '5')).toBe(403);

  loop!.phase = 'after';
  await fault.end();
  await vi.waitFor(() => expect(bridge.bridge.health().store.ok).toBe(true), EVENTUALLY);
  await loop!.answered(CHECKS_PER_PHASE);
  expect(await get(FRESH_TOKEN, VIEWER_B, '5')).toBe(403);
  const answers = await loop!.stop();
  expectEveryCheckAnswered(answers);
}

function expectEveryCheckAnswered(answers: readonly LoopAnswer[]): void {
  const expected: Record<string, number> = { 'bound-ip': 200, 'other-ip': 403, denied: 403 };
  const wrong = answers.filter((answer) => answer.status !== expected[answer.kind]);
  expect(wrong).toEqual([]);
  const late = answers.filter((answer) => answer.ms > ROUTE_BUDGET_MS);
  expect(late).toEqual([]);
  for (const phase of ['before', 'fault', 'after'])
    expect(answers.filter((a) => a.phase === phase).length).toBeGreaterThanOrEqual(CHECKS_PER_PHASE);
}

describe('Redis chaos under a loop of checks', () => {
  it(
    'paused (SIGSTOP) then resumed',
    async () => {
      await through({
        start: () => redis.freeze(),
        cause: /not answering within 200 ms since|unreachable since/,
        end: () => redis.thaw(),
      });
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'killed, then restarted on the same port (empty)',
    async () => {
      await through({
        start: () => redis.kill(),
        cause: /unreachable since .*: ECONNREFUSED/,
        end: () => redis.restart(),
      });
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'full: maxmemory with noeviction',
    async () => {
      await through({
        start: () => redis.fill(),
        cause: /refusing writes since .*: OOM command not allowed/,
        // Writes are trusted again only once one succeeds a while after the last refusal.
        end: async () => {
          await redis.unfill();
          aheadMs += WRITES_SETTLE_MS;
        },
      });
    },
    SCENARIO_TIMEOUT_MS,
  );
});
