import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { digest } from '../../src/pipeline/cacheKey.js';
import { backendSource } from '../../src/pipeline/decision.js';
import { noteAllow } from '../../src/pipeline/revoke.js';
import { memoryStore } from '../../src/store/memory.js';
import { testBridge, type TestBridge } from '../support/bridge.js';
import { startRedis, type RedisServer } from '../support/redisServer.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';
import { EVENTUALLY } from '../support/stores.js';

/** Ministra's recorded allow: X-UserId 1042, X-Max-Sessions 10, X-Unique. */
const MINISTRA_TOKEN = '6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7';

let checks: ReplayServer;
let portal: ReplayServer;
let bridges: TestBridge[];

beforeEach(async () => {
  [checks, portal] = await Promise.all([
    startReplayServer(fixturesOf('http')),
    startReplayServer(fixturesOf('ministra')),
  ]);
  bridges = [];
});
afterEach(async () => {
  await Promise.all(bridges.map((b) => b.close()));
  await Promise.all([checks.close(), portal.close()]);
});

/** A bridge with an own-HTTP-check route (`default`) and a Ministra route (`tv`, tokens bound to IPs). */
function bridgeOn(cache: object = {}): TestBridge {
  const bridge = testBridge({
    cache,
    backends: {
      check: { type: 'http', url: `${checks.url}/auth/check`, timeoutMs: 1000 },
      portal: { type: 'ministra', url: `${portal.url}/stalker_portal`, timeoutMs: 1000 },
    },
    routes: { default: { backends: ['check'] }, tv: { backends: ['portal'] } },
  });
  bridges.push(bridge);
  return bridge;
}

const viewer = (bridge: TestBridge, path: string, ip = '203.0.113.1', session = '1') =>
  request(bridge.app).get(path).set('X-Real-IP', ip).set('X-Channel-ID', 'a001').set('X-Session-ID', session);
const tv = (bridge: TestBridge, ip = '203.0.113.1', session = '1') =>
  viewer(bridge, `/auth/tv?token=${MINISTRA_TOKEN}`, ip, session);

describe('revoke and flush on the memory store', () => {
  it('revoke by token drops its cached allows: the next check asks the middleware again', async () => {
    const bridge = bridgeOn();
    await viewer(bridge, '/auth?token=good-token').expect(200);
    await viewer(bridge, '/auth?token=good-token&lang=en').expect(200);
    await viewer(bridge, '/auth?token=good-token').expect(200);
    expect(checks.received).toHaveLength(2);
    expect(await bridge.bridge.revoke({ token: 'good-token' })).toEqual({
      decisions: 2,
      bindings: 0,
      sessions: 0,
      complete: true,
    });
    await viewer(bridge, '/auth?token=good-token').expect(200);
    expect(checks.received).toHaveLength(3);
    expect(await bridge.bridge.revoke({ token: 'never-seen' })).toEqual({
      decisions: 0,
      bindings: 0,
      sessions: 0,
      complete: true,
    });
  });

  it('reads a token spelled Token= or TOKEN= as the token: token binding and revoke reach it', async () => {
    const bridge = bridgeOn();
    await viewer(bridge, `/auth/tv?Token=${MINISTRA_TOKEN}`).expect(200);
    await viewer(bridge, `/auth/tv?TOKEN=${MINISTRA_TOKEN}`, '198.51.100.9').expect(403);
    expect(await bridge.bridge.revoke({ token: MINISTRA_TOKEN })).toMatchObject({ decisions: 1, bindings: 1 });
    await viewer(bridge, `/auth/tv?TOKEN=${MINISTRA_TOKEN}`, '198.51.100.9').expect(200);
    expect(portal.received).toHaveLength(2);
    await viewer(bridge, `/auth/tv?token=${MINISTRA_TOKEN}&Token=${MINISTRA_TOKEN}`).expect(400);
  });

  it('revoke by login finds allows by the login the viewer gave and by the name the middleware gave', async () => {
    const bridge = bridgeOn();
    await viewer(bridge, '/auth?auth=dave:s3cret').expect(200);
    await viewer(bridge, '/auth?token=good-token').expect(200).expect('X-Session-Name', 'alice');
    expect(await bridge.bridge.revoke({ login: 'dave' })).toMatchObject({ decisions: 1, complete: true });
    expect(await bridge.bridge.revoke({ login: 'alice' })).toMatchObject({ decisions: 1, complete: true });
    await viewer(bridge, '/auth?auth=dave:s3cret').expect(200);
    await viewer(bridge, '/auth?token=good-token').expect(200);
    expect(checks.received).toHaveLength(4);
  });

  it('revoke by user id drops the allow, the token binding and the counted sessions', async () => {
    const bridge = bridgeOn();
    await tv(bridge, '203.0.113.1', '1').expect(200);
    await tv(bridge, '198.51.100.2', '2').expect(403); // bound to the first IP
    expect(await bridge.bridge.revoke({ userId: '1042' })).toEqual({
      decisions: 1,
      bindings: 1,
      sessions: 1,
      complete: true,
    });
    // Unbound now: the middleware is asked, allows, and the token binds to the new IP.
    await tv(bridge, '198.51.100.2', '2').expect(200);
    expect(portal.received).toHaveLength(2);
    await tv(bridge, '203.0.113.1', '1').expect(403);
  });

  it('revoke by token drops its binding even with no cached allow', async () => {
    const bridge = bridgeOn({ enabled: false });
    await tv(bridge, '203.0.113.1').expect(200);
    await tv(bridge, '198.51.100.2').expect(403);
    expect(await bridge.bridge.revoke({ token: MINISTRA_TOKEN })).toMatchObject({ decisions: 0, bindings: 1 });
    await tv(bridge, '198.51.100.2').expect(200);
  });

  it('flush drops the cached decisions of one route, or of all, and counts them', async () => {
    const bridge = bridgeOn();
    await viewer(bridge, '/auth?token=good-token').expect(200);
    await viewer(bridge, '/auth?token=bad-token').expect(403);
    await tv(bridge).expect(200);
    expect(await bridge.bridge.flush('default')).toEqual({ decisions: 2, complete: true });
    expect(await bridge.bridge.flush('default')).toEqual({ decisions: 0, complete: true });
    await viewer(bridge, '/auth?token=good-token').expect(200);
    expect(checks.received).toHaveLength(3);
    expect(await bridge.bridge.flush()).toEqual({ decisions: 2, complete: true });
    // A flush drops decisions only: the token stays bound to its IP.
    await tv(bridge, '198.51.100.2').expect(403);
  });
});

describe('revoke and flush on a Redis shared by two bridges', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());
  beforeEach(async () => {
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
  });

  /** The revocation index sets in Redis (one per token, login and user id seen with a cached allow). */
  async function indexSets(): Promise<string[]> {
    const client = new Redis(redis.url);
    try {
      return await client.keys('iab:i:*');
    } finally {
      client.disconnect();
    }
  }

  async function twoBridges(): Promise<[TestBridge, TestBridge]> {
    const pair: [TestBridge, TestBridge] = [
      bridgeOn({ store: 'redis', redisUrl: redis.url }),
      bridgeOn({ store: 'redis', redisUrl: redis.url }),
    ];
    await vi.waitFor(() => expect(pair.map((b) => b.bridge.health().store.ok)).toEqual([true, true]), EVENTUALLY);
    return pair;
  }

  it("a revoke on one bridge drops the other's cached allow, binding (in Redis and in its memory) and sessions", async () => {
    const [first, second] = await twoBridges();
    await tv(first, '203.0.113.1').expect(200);
    await tv(first, '198.51.100.2', '2').expect(403);
    // The index is written after the answer, not awaited by it: wait for it to land.
    await vi.waitFor(async () => expect(await indexSets()).toHaveLength(3), EVENTUALLY);
    const revoked = await second.bridge.revoke({ token: MINISTRA_TOKEN });
    expect(revoked).toEqual({ decisions: 1, bindings: 1, sessions: 1, complete: true });
    // The first bridge hears of it on the pub/sub channel; until then its own copy of the binding still denies
    // (without asking the middleware), so asking again is harmless.
    await vi.waitFor(() => tv(first, '198.51.100.2', '2').expect(200), EVENTUALLY);
    expect(portal.received).toHaveLength(2);
  });

  it('a flush on one bridge is a miss on the other, and cached hits cost Redis one read, then nothing (near-cache)', async () => {
    const [first, second] = await twoBridges();
    const stats = new Redis(redis.url);
    const calls = async () => {
      const text = await stats.info('commandstats');
      return Object.fromEntries(
        [...text.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map(([, name, count]) => [name, Number(count)]),
      );
    };
    try {
      await viewer(first, '/auth?token=good-token').expect(200);
      // Index and decision writes are not awaited by the answer: wait for them to land (token and login `alice`).
      await vi.waitFor(async () => expect(await indexSets()).toHaveLength(2), EVENTUALLY);
      const before = await calls();
      for (let i = 0; i < 10; i++) await viewer(second, '/auth?token=good-token').expect(200);
      const after = await calls();
      const grown = Object.keys(after).filter((name) => after[name] !== before[name] && name !== 'info');
      // One script reading the value and its remaining life; the other nine hits wait for nothing.
      expect(grown.filter((name) => !['eval', 'evalsha'].includes(name)).sort()).toEqual(['get', 'pttl']);
      expect(after.get! - (before.get ?? 0)).toBe(1);
      expect(checks.received).toHaveLength(1);

      expect(await second.bridge.flush()).toEqual({ decisions: 1, complete: true });
      await viewer(first, '/auth?token=good-token').expect(200);
      expect(checks.received).toHaveLength(2);
    } finally {
      stats.disconnect();
    }
  });

  it('says a revoke was not complete while Redis is down, and still drops what this instance holds', async () => {
    const own = await startRedis();
    const bridge = bridgeOn({ store: 'redis', redisUrl: own.url });
    await vi.waitFor(() => expect(bridge.bridge.health().store.ok).toBe(true), EVENTUALLY);
    await tv(bridge, '203.0.113.1').expect(200);
    await own.kill();
    await vi.waitFor(() => expect(bridge.bridge.health().store.ok).toBe(false), EVENTUALLY);
    await tv(bridge, '198.51.100.2', '2').expect(403);
    expect(await bridge.bridge.revoke({ token: MINISTRA_TOKEN })).toMatchObject({ complete: false });
    expect(await bridge.bridge.flush()).toEqual({ decisions: 0, complete: false });
    await tv(bridge, '198.51.100.2', '2').expect(200);
  });
});

describe('noteAllow', () => {
  const store = memoryStore({ maxEntries: 10 });
  afterAll(() => store.close());

  it('notes an allow under the viewer login, the session name and the user id, and leaves out a login with a line break', async () => {
    await store.set('d:default:a', { allow: true }, 60);
    noteAllow(
      store,
      'd:default:a',
      { dialect: 'cesbo', rawQuery: '', credentials: { login: 'eve\nu:1042', password: 'x' } },
      { allow: true, source: backendSource('mw'), sessionName: 'alice', answer: { userId: '7' } },
      60,
    );
    await expect
      .poll(() => store.notedUnder('l:alice'))
      .toEqual([{ key: 'd:default:a', identities: ['l:alice', 'u:7'] }]);
    // The line break could not forge an identity.
    expect(await store.notedUnder('u:1042')).toEqual([]);
  });

  // What a cached allow is noted under, in the order it is noted: the token's digest, the viewer's
  // login, the middleware's session name, its user id; each identity once.
  it('notes every identity in order, the token only as its digest', async () => {
    await store.set('d:default:all', { allow: true }, 60);
    noteAllow(
      store,
      'd:default:all',
      { dialect: 'cesbo', rawQuery: '', token: 'secret-token', credentials: { login: 'bob', password: 'x' } },
      { allow: true, source: backendSource('mw'), sessionName: 'bob-tv', answer: { userId: '42' } },
      60,
    );
    await expect
      .poll(() => store.notedUnder('l:bob'))
      .toEqual([{ key: 'd:default:all', identities: [`t:${digest('secret-token')}`, 'l:bob', 'l:bob-tv', 'u:42'] }]);
    expect(await store.notedUnder('t:secret-token')).toEqual([]);
  });

  it('notes a login the middleware repeats as the session name once', async () => {
    await store.set('d:default:same', { allow: true }, 60);
    noteAllow(
      store,
      'd:default:same',
      { dialect: 'cesbo', rawQuery: '', credentials: { login: 'carol', password: 'x' } },
      { allow: true, source: backendSource('mw'), sessionName: 'carol' },
      60,
    );
    await expect.poll(() => store.notedUnder('l:carol')).toEqual([{ key: 'd:default:same', identities: ['l:carol'] }]);
  });
});
