import { afterEach, describe, expect, it, vi } from 'vitest';
import { WRITES_SETTLE_MS } from '../../src/store/redisGuard.js';
import { startRedis, type RedisServer } from '../support/redisServer.js';
import { admission, connected, decision, EVENTUALLY, redisStores, settlesWithin } from '../support/stores.js';

// When Redis refuses writes or is gone, token bindings and session counts are kept in the
// instance's own memory, and health names what Redis answered.

const stores = redisStores();
const servers: RedisServer[] = [];

async function server(): Promise<RedisServer> {
  const started = await startRedis();
  servers.push(started);
  return started;
}

afterEach(async () => {
  await stores.closeAll();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const lines = (logs: string[], pattern: RegExp) => logs.filter((line) => pattern.test(line));

describe('redis store refusing writes', () => {
  it('full (maxmemory, noeviction): keeps bindings and session counts in memory, and health names the OOM answer, not a timeout', async () => {
    const redis = await server();
    let aheadMs = 0;
    const { store, logs } = stores.open(redis.url, 200, () => Date.now() + aheadMs);
    await connected(store);
    await redis.fill();

    await settlesWithin(store.set('d:default:x', decision, 60));
    expect(store.health()).toMatchObject({
      store: 'redis',
      ok: false,
      detail: expect.stringMatching(/refusing writes since \d{4}-.*: OOM command not allowed/),
    });
    expect(store.health().detail).not.toContain('not answering');
    // Reads still work, so the decision written just now is simply not there.
    expect(await store.get('d:default:x')).toBeUndefined();

    expect(await settlesWithin(store.claim('b:token', { ip: '203.0.113.1' }, 60))).toEqual({ ip: '203.0.113.1' });
    expect(await settlesWithin(store.claim('b:token', { ip: '198.51.100.2' }, 60))).toEqual({ ip: '203.0.113.1' });
    expect(await store.get('b:token')).toEqual({ ip: '203.0.113.1' });
    expect(await store.admitSession(admission('s1', { limit: 1 }))).toBe(true);
    expect(await store.admitSession(admission('s2', { limit: 1 }))).toBe(false);
    // A unique admission's script deletes before it adds, which Redis lets through when full: still refusing.
    expect(await store.admitSession(admission('s3', { user: 'bob', unique: true }))).toBe(true);
    expect(store.health()).toMatchObject({ ok: false, detail: expect.stringContaining('OOM command not allowed') });
    expect(lines(logs, /refusing writes/)).toHaveLength(1);

    // Back once Redis takes writes again, which health finds out by itself.
    await redis.unfill();
    aheadMs += WRITES_SETTLE_MS;
    await vi.waitFor(() => expect(store.health()).toMatchObject({ ok: true }), EVENTUALLY);
    expect(lines(logs, /accepting writes again/)).toHaveLength(1);
    // What was bound while Redis refused still holds on this instance until it expires.
    expect(await store.get('b:token')).toEqual({ ip: '203.0.113.1' });
    await store.set('d:default:x', decision, 60);
    expect(await store.get('d:default:x')).toEqual(decision);
  });

  it('a read-only replica: health names READONLY, bindings hold in memory', async () => {
    const redis = await server();
    let aheadMs = 0;
    const { store } = stores.open(redis.url, 200, () => Date.now() + aheadMs);
    await connected(store);
    await redis.makeReadOnly();
    expect(await settlesWithin(store.claim('b:token', { ip: '203.0.113.1' }, 60))).toEqual({ ip: '203.0.113.1' });
    expect(store.health()).toMatchObject({
      ok: false,
      detail: expect.stringContaining("READONLY You can't write against a read only replica"),
    });
    expect(await store.claim('b:token', { ip: '198.51.100.2' }, 60)).toEqual({ ip: '203.0.113.1' });
    await redis.makeWritable();
    aheadMs += WRITES_SETTLE_MS;
    await vi.waitFor(() => expect(store.health().ok).toBe(true), EVENTUALLY);
  });

  it('names the cause Redis gives now when it changes within one refusal (full, then a read-only replica)', async () => {
    const redis = await server();
    const { store, logs } = stores.open(redis.url);
    await connected(store);
    await redis.fill();
    await store.set('d:default:x', decision, 60);
    expect(store.health().detail).toContain('OOM command not allowed');
    await redis.unfill();
    await redis.makeReadOnly();
    await store.set('d:default:y', decision, 60);
    expect(store.health().detail).toContain("READONLY You can't write against a read only replica");
    await vi.waitFor(() => expect(logs.filter((line) => line.includes('refusing writes'))).toHaveLength(2), EVENTUALLY);
    await redis.makeWritable();
  });
});

describe('redis store gone', () => {
  it('a binding and sessions counted while Redis was up still hold once it is killed, and after it comes back empty', async () => {
    const redis = await server();
    const { store } = stores.open(redis.url);
    await connected(store);
    expect(await store.claim('b:token', { ip: '203.0.113.1' }, 60)).toEqual({ ip: '203.0.113.1' });
    expect(await store.admitSession(admission('s1', { limit: 1 }))).toBe(true);

    await redis.kill();
    await vi.waitFor(
      () => expect(store.health().detail).toMatch(/unreachable since .*: (ECONNREFUSED|connection closed|ECONNRESET)/),
      EVENTUALLY,
    );
    expect(await settlesWithin(store.get('b:token'))).toEqual({ ip: '203.0.113.1' });
    expect(await settlesWithin(store.claim('b:token', { ip: '198.51.100.2' }, 60))).toEqual({ ip: '203.0.113.1' });
    expect(await settlesWithin(store.admitSession(admission('s1', { limit: 1 })))).toBe(true);
    expect(await settlesWithin(store.admitSession(admission('s2', { limit: 1 })))).toBe(false);

    // Restarted with nothing (no persistence): Redis is asked first, the instance's copy fills in what it lost.
    await redis.restart();
    await connected(store);
    expect(await store.get('b:token')).toEqual({ ip: '203.0.113.1' });
  });

  it('a token bound during an outage stays denied from another IP once Redis is back, though another instance bound it there since', async () => {
    const redis = await server();
    const own = stores.open(redis.url).store;
    const other = stores.open(redis.url).store;
    await Promise.all([connected(own), connected(other)]);
    await redis.kill();
    await vi.waitFor(() => expect(own.health().ok).toBe(false), EVENTUALLY);
    // Bound in this instance's own memory while Redis is away.
    expect(await settlesWithin(own.claim('b:t1', { ip: '198.51.100.31' }, 60))).toEqual({ ip: '198.51.100.31' });

    await redis.restart();
    await Promise.all([connected(own), connected(other)]);
    expect(await other.claim('b:t1', { ip: '198.51.100.33' }, 60)).toEqual({ ip: '198.51.100.33' });
    // Its own copy says another IP: denied here whatever Redis holds now, and Redis is left as it is.
    expect(await own.claim('b:t1', { ip: '198.51.100.33' }, 60)).toEqual({ ip: '198.51.100.31' });
    expect(await other.get('b:t1')).toEqual({ ip: '198.51.100.33' });
  });
});
