import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { CacheConfig } from '../../src/config/schema.js';
import { createStore } from '../../src/store/factory.js';
import { redisStore } from '../../src/store/redis.js';
import { memoryLogger } from '../support/bridge.js';
import { startRedis, type RedisServer } from '../support/redisServer.js';
import { watchRefusedConnections } from '../support/refusedConnections.js';
import { closedPort } from '../support/replayServer.js';
import { admission, connected, decision, EVENTUALLY, redisPerFile, settlesWithin } from '../support/stores.js';

const PASSWORD = 's3cret-redis-pass';

const { stores, shared } = redisPerFile();
const openStore = (url = shared.server.url, timeoutMs = 200) => stores.open(url, timeoutMs);

const linesMatching = (logs: string[], pattern: RegExp) => logs.filter((line) => pattern.test(line));

/** How many connections the server on `url` has accepted since it started, this one included. */
async function connectionsReceived(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    return Number(/^total_connections_received:(\d+)/m.exec(await client.info('stats'))![1]);
  } finally {
    client.disconnect();
  }
}

describe('redis store with Redis up', () => {
  it('gives back what was stored, and nothing for a key never stored', async () => {
    const { store } = openStore();
    await connected(store);
    await store.set('route:abc', decision, 60);
    expect(await store.get('route:abc')).toEqual(decision);
    expect(await store.get('route:other')).toBeUndefined();
  });

  it('writes JSON under iab:-prefixed keys with the TTL given, and nothing else', async () => {
    const { store } = openStore();
    await connected(store);
    await store.set('route:abc', decision, 60);
    expect(await shared.inspector.keys('*')).toEqual(['iab:route:abc']);
    expect(JSON.parse((await shared.inspector.get('iab:route:abc'))!)).toEqual(decision);
    const ttl = await shared.inspector.ttl('iab:route:abc');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('forgets an entry once its TTL has passed', async () => {
    const { store } = openStore();
    await connected(store);
    await store.set('k', decision, 1);
    expect(await store.get('k')).toEqual(decision);
    await vi.waitFor(async () => expect(await store.get('k')).toBeUndefined(), EVENTUALLY);
  });

  it.each([0, -5, 0.2, Number.NaN])('stores a TTL of %s as one second, never forever', async (ttl) => {
    const { store } = openStore();
    await connected(store);
    await store.set('k', decision, ttl);
    expect(await store.get('k')).toEqual(decision);
    expect(await shared.inspector.ttl('iab:k')).toBe(1);
  });

  it('reads anything under its keys that is not a JSON object as absent', async () => {
    const { store } = openStore();
    await connected(store);
    await shared.inspector.set('iab:text', 'not json');
    await shared.inspector.set('iab:list', '[1,2]');
    await shared.inspector.set('iab:null', 'null');
    await shared.inspector.sadd('iab:set', 'member');
    for (const key of ['text', 'list', 'null', 'set']) expect(await store.get(key)).toBeUndefined();
  });

  it('shares decisions and session counts between two instances', async () => {
    const first = openStore().store;
    const second = openStore().store;
    await Promise.all([connected(first), connected(second)]);
    await first.set('shared', decision, 60);
    expect(await second.get('shared')).toEqual(decision);
    expect(await first.admitSession(admission('s1'))).toBe(true);
    expect(await second.admitSession(admission('s2'))).toBe(true);
    expect(await first.admitSession(admission('s3'))).toBe(false);
    expect(await second.admitSession(admission('s3'))).toBe(false);
  });

  it('lets exactly one of many concurrent claims from two instances win, and tells every claimant the winner', async () => {
    const first = openStore().store;
    const second = openStore().store;
    await Promise.all([connected(first), connected(second)]);
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? first : second).claim('b:contested', { ip: `198.51.100.${i}` }, 60),
      ),
    );
    const winners = new Set(claims.map((owner) => owner?.ip));
    expect(winners.size).toBe(1);
    expect(await first.get('b:contested')).toEqual(claims[0]);
  });

  it('counts concurrent admissions atomically', async () => {
    const first = openStore().store;
    const second = openStore().store;
    await Promise.all([connected(first), connected(second)]);
    const sessions = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const answers = await Promise.all(
      sessions.map((session, i) => (i % 2 ? first : second).admitSession(admission(session, { limit: 3 }))),
    );
    expect(answers.filter(Boolean)).toHaveLength(3);
  });

  describe('admitSession', () => {
    it('admits sessions up to the limit, always re-admits a counted one, and counts users apart', async () => {
      const { store } = openStore();
      await connected(store);
      expect(await store.admitSession(admission('s1'))).toBe(true);
      expect(await store.admitSession(admission('s2'))).toBe(true);
      expect(await store.admitSession(admission('s3'))).toBe(false);
      expect(await store.admitSession(admission('s1'))).toBe(true);
      expect(await store.admitSession(admission('s3', { user: 'bob' }))).toBe(true);
    });

    it('stops counting sessions idle longer than idleTtl, and lets the set expire with them', async () => {
      const { store } = openStore();
      await connected(store);
      const brief = { limit: 1, idleTtlSeconds: 1 };
      expect(await store.admitSession(admission('s1', brief))).toBe(true);
      expect(await store.admitSession(admission('s2', brief))).toBe(false);
      const pttl = await shared.inspector.pttl('iab:sessions:alice');
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(1000);
      await vi.waitFor(async () => expect(await store.admitSession(admission('s2', brief))).toBe(true), EVENTUALLY);
    });

    it('keeps a refreshed session counted while an idle one lapses', async () => {
      const { store } = openStore();
      await connected(store);
      const brief = { limit: 2, idleTtlSeconds: 2 };
      await store.admitSession(admission('idle', brief));
      await store.admitSession(admission('active', brief));
      // Refresh "active" until "idle" has lapsed and a newcomer fits beside it.
      await vi.waitFor(async () => {
        expect(await store.admitSession(admission('active', brief))).toBe(true);
        expect(await store.admitSession(admission('newcomer', brief))).toBe(true);
      }, EVENTUALLY);
      expect(await store.admitSession(admission('idle', brief))).toBe(false);
    });

    it('with unique, lets the newest session replace all older ones', async () => {
      const { store } = openStore();
      await connected(store);
      expect(await store.admitSession(admission('s1', { limit: 1, unique: true }))).toBe(true);
      expect(await store.admitSession(admission('s2', { limit: 1, unique: true }))).toBe(true);
      expect(await shared.inspector.zrange('iab:sessions:alice', '0', '-1')).toEqual(['s2']);
      expect(await store.admitSession(admission('s1', { limit: 1 }))).toBe(false);
    });
  });

  it('says where it is connected, and logs it once', async () => {
    const { store, logs } = openStore();
    await connected(store);
    expect(store.health()).toEqual({
      store: 'redis',
      ok: true,
      detail: `connected to redis://127.0.0.1:${shared.server.port}/0`,
    });
    expect(linesMatching(logs, /redis store connected/)).toHaveLength(1);
  });
});

describe('redis store with a db the server does not have', () => {
  it('uses no db at all (Redis would quietly serve db 0) and says why', async () => {
    const { store, logs } = openStore(shared.server.url.replace(/\/0$/, '/99999'));
    await vi.waitFor(() => expect(store.health().detail).toContain('db 99999 does not exist'), EVENTUALLY);
    expect(store.health().ok).toBe(false);
    await store.set('wrong-db', decision, 60);
    expect(await store.get('wrong-db')).toBeUndefined();
    expect(await shared.inspector.exists('iab:wrong-db')).toBe(0);
    expect(linesMatching(logs, /redis store not used/)).toHaveLength(1);
  });
});

describe('redis store with a password in the URL', () => {
  let secured: RedisServer;
  beforeAll(async () => {
    secured = await startRedis({ password: PASSWORD });
  });
  afterAll(() => secured?.stop());

  it('authenticates, and never shows the password in health or logs', async () => {
    expect(secured.url).toContain(PASSWORD);
    const { store, logs } = openStore(secured.url);
    await connected(store);
    await store.set('k', decision, 60);
    expect(await store.get('k')).toEqual(decision);
    expect(store.health().detail).toBe(`connected to redis://127.0.0.1:${secured.port}/0`);
    expect(logs.join('\n')).not.toContain(PASSWORD);
  });

  it('with a wrong password, answers as misses and says so without showing it', async () => {
    const wrong = secured.url.replace(PASSWORD, 'wrong-password-123');
    const { store, logs } = openStore(wrong);
    await vi.waitFor(
      () => expect(store.health().detail).toMatch(/unreachable since .*(WRONGPASS|invalid)/i),
      EVENTUALLY,
    );
    expect(store.health().ok).toBe(false);
    expect(await settlesWithin(store.get('k'))).toBeUndefined();
    await settlesWithin(store.set('k', decision, 60));
    expect(await settlesWithin(store.admitSession(admission('s1')))).toBe(true);
    expect(`${store.health().detail}\n${logs.join('\n')}`).not.toContain('wrong-password-123');
  });
});

describe('redis store health with a password that other words hold', () => {
  it('masks the password where it stands, not the same letters in another case inside a message', async () => {
    const port = await closedPort();
    // `on` in any case is part of ECONNREFUSED: masking it there said what the password was.
    const { store } = openStore(`redis://:on@127.0.0.1:${port}/0`);
    await vi.waitFor(() => expect(store.health().detail).toMatch(/unreachable since .*: ECONNREFUSED$/), EVENTUALLY);
  });
});

describe('redis store with Redis unreachable', () => {
  it('starts without failing, answers as misses, logs it once, and connects once Redis is there', async () => {
    const late = await startRedis();
    await late.stop();
    const refusals = watchRefusedConnections(late.port);
    const { store, logs } = openStore(late.url);
    await vi.waitFor(
      () => expect(store.health().detail).toMatch(/unreachable since \d{4}-\d\d-\d\dT.*: ECONNREFUSED/),
      EVENTUALLY,
    );
    expect(store.health().ok).toBe(false);
    expect(await settlesWithin(store.get('k'))).toBeUndefined();
    await expect(settlesWithin(store.set('k', decision, 60))).resolves.toBeUndefined();
    // Counted in the instance's own memory meanwhile: the limit still holds here.
    expect(await settlesWithin(store.admitSession(admission('s1', { limit: 1 })))).toBe(true);
    expect(await settlesWithin(store.admitSession(admission('s2', { limit: 1 })))).toBe(false);
    // Several reconnect attempts fail meanwhile; the log still says it once.
    await refusals.atLeast(3);
    refusals.stop();
    expect(linesMatching(logs, /unreachable/)).toHaveLength(1);

    await late.restart();
    await connected(store);
    expect(linesMatching(logs, /redis store connected/)).toHaveLength(1);
    await store.set('k', decision, 60);
    expect(await store.get('k')).toEqual(decision);
    await late.stop();
  });

  it('keeps answering when Redis is killed, and reconnects by itself when it is back', async () => {
    const doomed = await startRedis();
    const { store, logs } = openStore(doomed.url);
    await connected(store);
    await store.set('k', decision, 60);
    const inFlight = store.get('k');
    await doomed.kill();
    await settlesWithin(inFlight);

    expect(await settlesWithin(store.get('k'))).toBeUndefined();
    await expect(settlesWithin(store.set('k2', decision, 60))).resolves.toBeUndefined();
    // Counted in the instance's own memory meanwhile: the limit still holds here.
    expect(await settlesWithin(store.admitSession(admission('s1', { limit: 1 })))).toBe(true);
    expect(await settlesWithin(store.admitSession(admission('s2', { limit: 1 })))).toBe(false);
    await vi.waitFor(() => expect(store.health().ok).toBe(false), EVENTUALLY);
    expect(store.health().detail).toMatch(/unreachable since \d{4}-/);
    expect(linesMatching(logs, /redis store connection lost/)).toHaveLength(1);

    await doomed.restart();
    await connected(store);
    expect(linesMatching(logs, /redis store reconnected/)).toHaveLength(1);
    // The restarted server kept nothing (no persistence): a miss, then a fresh write works.
    expect(await store.get('k')).toBeUndefined();
    await store.set('k', decision, 60);
    expect(await store.get('k')).toEqual(decision);
    await doomed.stop();
  });

  it('does not wait on a Redis that stopped answering', async () => {
    const stalled = await startRedis();
    const { store, logs } = openStore(stalled.url);
    await connected(store);
    await store.set('k', decision, 60);
    stalled.freeze();
    try {
      expect(await settlesWithin(store.get('k'))).toBeUndefined();
      await expect(settlesWithin(store.set('k', decision, 60))).resolves.toBeUndefined();
      // Counted in the instance's own memory meanwhile: the limit still holds here.
      expect(await settlesWithin(store.admitSession(admission('s1', { limit: 1 })))).toBe(true);
      expect(await settlesWithin(store.admitSession(admission('s2', { limit: 1 })))).toBe(false);
      // Reported at once, not only when the client's socket timeout notices seconds later.
      expect(store.health()).toMatchObject({
        ok: false,
        detail: expect.stringContaining('not answering within 200 ms'),
      });
    } finally {
      stalled.thaw();
    }
    // Health finds out by itself that Redis answers again: no decision needs to touch it.
    await vi.waitFor(() => expect(store.health().ok).toBe(true), EVENTUALLY);
    expect(await store.get('k')).toEqual(decision);
    // The stall and its end, logged once each.
    expect(linesMatching(logs, /redis store not answering/)).toHaveLength(1);
    expect(linesMatching(logs, /redis store answering again/)).toHaveLength(1);
    await stalled.stop();
  });

  it('closes without waiting while Redis is down, and stops reconnecting', async () => {
    const gone = await startRedis();
    await gone.stop();
    // Time runs as usual, and can be moved past every reconnect delay at once.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    try {
      const { store, logs } = openStore(gone.url);
      await vi.waitFor(() => expect(store.health().ok).toBe(false), EVENTUALLY);
      await settlesWithin(store.close());
      await settlesWithin(store.close());
      expect(store.health()).toEqual({ store: 'redis', ok: false, detail: 'closed' });
      const linesAtClose = logs.length;
      await gone.restart();
      const before = await connectionsReceived(gone.url);
      // Past the longest reconnect and redial delay (2 s): a reconnect still scheduled has dialled by now.
      await vi.advanceTimersByTimeAsync(10_000);
      await new Promise((resolve) => setImmediate(resolve));
      // Redis accepts connections in the order they were made: one dialled before this count is in it.
      expect(await connectionsReceived(gone.url)).toBe(before + 1);
      expect(logs).toHaveLength(linesAtClose);
    } finally {
      vi.useRealTimers();
    }
    await gone.stop();
  });
});

describe('redis store configuration', () => {
  it('refuses a URL it cannot parse, naming the key and not the URL', () => {
    expect(() =>
      redisStore({ url: `redis://:${PASSWORD}@bad|host:6379/0`, timeoutMs: 200, log: memoryLogger([]) }),
    ).toThrow(/^cache\.redisUrl: expected redis:\/\/.*redis\+sentinel:\/\//);
  });

  it('is what createStore gives for cache.store: redis', async () => {
    const config = validateConfig({ cache: { store: 'redis', redisUrl: shared.server.url } }, 'test config', {});
    const store = createStore(config.cache, memoryLogger([]));
    stores.adopt(store);
    await connected(store);
    expect(store.health().store).toBe('redis');
  });

  it('createStore names cache.redisUrl when a hand-built config lacks it', () => {
    const cache = { ...validateConfig({}, 'test config', {}).cache, store: 'redis' } as CacheConfig;
    expect(() => createStore(cache, memoryLogger([]))).toThrow(/^cache\.redisUrl: required/);
  });
});
