import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { closedPort } from '../../src/replay/server.js';
import { redisStore } from '../../src/store/redis.js';
import { WRITES_SETTLE_MS } from '../../src/store/redisGuard.js';
import { memoryLogger } from '../support/bridge.js';
import { startRedis, type RedisServer } from '../support/redisServer.js';
import { admission, connected, decision, EVENTUALLY, redisStores, settlesWithin } from '../support/stores.js';

// A stalled Redis (SIGSTOP) costs one wait of redisTimeoutMs, not one per operation: once an
// operation went unanswered nothing more is sent (only a PING asks whether the silence is over),
// counted by what the real server received once it runs again.

const stores = redisStores();
let server: RedisServer;
let inspector: Redis;

beforeAll(async () => {
  server = await startRedis();
  inspector = new Redis(server.url);
});
afterEach(async () => {
  server.thaw();
  await stores.closeAll();
  await server.unfill();
  await inspector.flushall();
});
afterAll(async () => {
  inspector?.disconnect();
  await server?.stop();
});

/** How many times the server ran each command since the last CONFIG RESETSTAT (`evalsha`, `set`, `ping`...). */
async function commandCounts(): Promise<Map<string, number>> {
  const text = await inspector.info('commandstats');
  const counts = new Map<string, number>();
  for (const [, name, calls] of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) counts.set(name!, Number(calls));
  return counts;
}

const lines = (logs: string[], pattern: RegExp) => logs.filter((line) => pattern.test(line));
const DIGEST = /[0-9a-f]{40}/;

describe('redis guard while Redis is silent', () => {
  it('sends nothing after the first operation that went unanswered, until a PING is answered', async () => {
    const { store, logs } = stores.open(server.url);
    await connected(store);
    await store.claim('b:bound', { ip: '203.0.113.1' }, 60);
    // Loads the read script, so the stalled server is sent its digest only.
    expect(await store.get('b:bound')).toEqual({ ip: '203.0.113.1' });
    await inspector.config('RESETSTAT');

    server.freeze();
    // What one miss with a token binding and a connection limit waits for, and more.
    expect(await settlesWithin(store.get('b:bound'))).toEqual({ ip: '203.0.113.1' });
    expect(store.health().detail).toMatch(/not answering within 200 ms/);
    for (let read = 0; read < 4; read += 1) expect(await store.get('d:default:k')).toBeUndefined();
    expect(await store.claim('b:fresh', { ip: '198.51.100.2' }, 60)).toEqual({ ip: '198.51.100.2' });
    expect(await store.admitSession(admission('s1', { limit: 1 }))).toBe(true);
    expect(await store.admitSession(admission('s2', { limit: 1 }))).toBe(false);
    await store.noteAllow('d:default:k', ['t:abc'], 60);
    await store.set('d:default:k', decision, 60);
    server.thaw();
    await connected(store);

    const counts = await commandCounts();
    // The first read alone was sent; everything after it failed at once, unsent.
    expect(counts.get('evalsha')).toBe(1);
    expect(counts.get('set')).toBeUndefined();
    expect(counts.get('ping')).toBeGreaterThanOrEqual(1);
    // The log is written on a later turn: the line that ends the silence comes after every other.
    await vi.waitFor(() => expect(lines(logs, /redis store answering again/)).toHaveLength(1), EVENTUALLY);
    expect(lines(logs, /redis store not answering/)).toHaveLength(1);

    // Answering again: operations reach Redis as before.
    expect(await store.get('b:bound')).toEqual({ ip: '203.0.113.1' });
    expect((await commandCounts()).get('evalsha')).toBe(2);
  });

  it('takes a reply that came while the event loop was busy for an answer, not for silence', async () => {
    const { store, logs } = stores.open(server.url);
    await connected(store);
    await store.claim('b:bound', { ip: '203.0.113.1' }, 60);
    expect(await store.get('b:bound')).toEqual({ ip: '203.0.113.1' });
    // Sent now; Redis answers at once, but the answer waits while this process is busy past the
    // 200 ms bound (a burst of checks at once, a cold start): the bound's timer fires first in that turn.
    const pending = store.get('b:bound');
    const busyUntil = performance.now() + 600;
    while (performance.now() < busyUntil);
    expect(await pending).toEqual({ ip: '203.0.113.1' });
    expect(store.health()).toMatchObject({ ok: true });
    expect(lines(logs, /not answering/)).toEqual([]);
  });

  it('fails the operations of other callers at once too, and the PING that ends the silence is one at a time', async () => {
    const { store } = stores.open(server.url);
    await connected(store);
    await store.get('d:default:warm');
    await inspector.config('RESETSTAT');

    server.freeze();
    expect(await store.get('d:default:first')).toBeUndefined();
    // Twenty callers at once while silent: none is sent, and one PING asks for all of them.
    const reads = await Promise.all(Array.from({ length: 20 }, (_, n) => store.get(`d:default:${n}`)));
    expect(reads.every((read) => read === undefined)).toBe(true);
    server.thaw();
    await connected(store);

    const counts = await commandCounts();
    expect(counts.get('evalsha')).toBe(1);
    // One PING while frozen (the twenty found it under way); at most one more if it gave up before the thaw.
    expect(counts.get('ping')).toBeLessThanOrEqual(2);
  });
});

describe('redis guard while Redis refuses writes', () => {
  it('logs one line per episode, naming the cause and not the script Redis was running', async () => {
    let aheadMs = 0;
    const { store, logs } = stores.open(server.url, 200, () => Date.now() + aheadMs);
    await connected(store);
    await server.fill();

    // A plain write and each script that writes: Redis names a different script in each refusal.
    await store.set('d:default:x', decision, 60);
    await store.claim('b:token', { ip: '203.0.113.1' }, 60);
    await store.admitSession(admission('s1'));
    await store.noteAllow('d:default:x', ['t:abc'], 60);
    await store.set('d:default:y', decision, 60);

    expect(store.health().detail).toMatch(/refusing writes since .*: OOM command not allowed/);
    expect(store.health().detail).not.toMatch(DIGEST);

    await server.unfill();
    aheadMs += WRITES_SETTLE_MS;
    await vi.waitFor(() => expect(store.health().ok).toBe(true), EVENTUALLY);
    // The log is written on a later turn: the episode's last line comes after every other.
    await vi.waitFor(() => expect(lines(logs, /accepting writes again/)).toHaveLength(1), EVENTUALLY);
    const refusals = lines(logs, /refusing writes/);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain("OOM command not allowed when used memory > 'maxmemory'.");
    expect(logs.join('\n')).not.toMatch(DIGEST);
  });

  it('a Redis at its limit taking a write now and then between refusals is one episode, over once writes settle', async () => {
    let aheadMs = 0;
    const { store, logs } = stores.open(server.url, 200, () => Date.now() + aheadMs);
    await connected(store);
    // Keys expiring free a little room: a write gets through between refusals.
    for (let flap = 0; flap < 3; flap += 1) {
      await server.fill();
      await store.set('d:default:x', decision, 60);
      await server.unfill();
      aheadMs += 1000;
      await store.set('d:default:x', decision, 60);
      expect(store.health()).toMatchObject({ ok: false, detail: expect.stringContaining('OOM command not allowed') });
    }
    aheadMs += WRITES_SETTLE_MS;
    await store.set('d:default:x', decision, 60);
    await vi.waitFor(() => expect(lines(logs, /accepting writes again/)).toHaveLength(1), EVENTUALLY);
    expect(lines(logs, /refusing writes/)).toHaveLength(1);
    expect(store.health().ok).toBe(true);
  });

  it("a script's refusal alone also reads without its digest", async () => {
    const { store, logs } = stores.open(server.url);
    await connected(store);
    await server.fill();
    await store.noteAllow('d:default:x', ['t:abc'], 60);
    expect(store.health().detail).toMatch(/OOM command not allowed when used memory > 'maxmemory'\.$/);
    await vi.waitFor(() => expect(lines(logs, /refusing writes/)).toHaveLength(1), EVENTUALLY);
    expect(logs.join('\n')).not.toMatch(DIGEST);
  });
});

describe('redis guard dates trouble', () => {
  it('by the injected clock, as health shows it', async () => {
    const store = redisStore({
      url: `redis://127.0.0.1:${await closedPort()}`,
      timeoutMs: 200,
      log: memoryLogger([]),
      now: () => Date.UTC(2026, 0, 1, 12),
    });
    stores.adopt(store);
    await vi.waitFor(
      () => expect(store.health().detail).toMatch(/unreachable since 2026-01-01T12:00:00.000Z: ECONNREFUSED/),
      EVENTUALLY,
    );
  });
});
