import { describe, expect, it, vi } from 'vitest';
import { redisStore } from '../../src/store/redis.js';
import { DROP_CHANNEL } from '../../src/store/redisDrops.js';
import type { DropEvent } from '../../src/store/types.js';
import { memoryLogger } from '../support/bridge.js';
import { connected, decision as pastDecision, EVENTUALLY, redisPerFile, settlesWithin } from '../support/stores.js';

const { stores, shared } = redisPerFile();

/** A Redis store with a 5 s near-cache on a clock the test moves. */
function nearCachedStore() {
  const clock = { ms: Date.now() };
  const store = redisStore({
    url: shared.server.url,
    timeoutMs: 200,
    log: memoryLogger([]),
    localTtlSeconds: 5,
    now: () => clock.ms,
  });
  stores.adopt(store);
  return { store, clock };
}

/** Both stores connected and subscribed (a message round trip shows it), each hearing drops. */
async function listening(...all: ReturnType<typeof nearCachedStore>[]) {
  await Promise.all(all.map(({ store }) => connected(store)));
  await vi.waitFor(
    async () => expect(await shared.inspector.pubsub('NUMSUB', DROP_CHANNEL)).toEqual([DROP_CHANNEL, all.length]),
    EVENTUALLY,
  );
  return all.map(({ store }) => {
    const heard: DropEvent[] = [];
    store.onDrop((event) => heard.push(event));
    return heard;
  });
}

const stored = (value: object) => JSON.stringify(value);
/** A cached decision fresh for an hour (one past its freshness is never near-cached). */
const decision = { ...pastDecision, freshUntil: Date.now() + 3_600_000 };

/** Scripts Redis has run so far (every read of the store is one: GET and PTTL together). */
async function scriptsRun(): Promise<number> {
  const stats = await shared.inspector.info('commandstats');
  return [...stats.matchAll(/^cmdstat_eval(?:sha)?:calls=(\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

describe('redis store near-cache', () => {
  it('a value read once answers from memory, at once and synchronously, even while Redis is stalled', async () => {
    const reader = nearCachedStore();
    await listening(reader);
    await shared.inspector.set('iab:d:default:a', stored(decision), 'EX', 60);
    expect(reader.store.getNow?.('d:default:a')).toBeUndefined();
    expect(await reader.store.get('d:default:a')).toEqual(decision);
    shared.server.freeze();
    try {
      expect(reader.store.getNow?.('d:default:a')).toEqual(decision);
      // Well within the 200 ms a stalled Redis would cost: the answer never waited for it.
      expect(await settlesWithin(reader.store.get('d:default:a'), 100)).toEqual(decision);
    } finally {
      shared.server.thaw();
    }
  });

  it('forgets its near-cache when a revoke cannot learn from Redis which allows are the viewer’s', async () => {
    const reader = nearCachedStore();
    await listening(reader);
    await shared.inspector.set('iab:d:default:a', stored(decision), 'EX', 60);
    await reader.store.get('d:default:a');
    expect(reader.store.getNow?.('d:default:a')).toEqual(decision);
    shared.server.freeze();
    try {
      expect(await reader.store.notedUnder('t:x')).toBeUndefined();
      expect(reader.store.getNow?.('d:default:a')).toBeUndefined();
    } finally {
      shared.server.thaw();
    }
  });

  it('checks that miss the near-cache at once (its entry just expired) share one read of Redis', async () => {
    const reader = nearCachedStore();
    await listening(reader);
    await shared.inspector.set('iab:d:default:a', stored(decision), 'EX', 60);
    const before = await scriptsRun();
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => reader.store.get('d:default:a')));
    expect(answers).toEqual([decision, decision, decision, decision, decision]);
    expect((await scriptsRun()) - before).toBe(1);
    expect(reader.store.getNow?.('d:default:a')).toEqual(decision);
  });

  it('keeps a value for localTtl at most, and never past the life its key had left in Redis', async () => {
    const { store, clock } = nearCachedStore();
    await listening({ store, clock });
    await shared.inspector.set('iab:d:default:long', stored({ n: 1 }), 'EX', 60);
    await shared.inspector.set('iab:d:default:short', stored({ n: 1 }), 'PX', 2000);
    await store.get('d:default:long');
    await store.get('d:default:short');
    // Changed behind the store's back (no drop announced): what it answers shows where it read from.
    await shared.inspector.set('iab:d:default:long', stored({ n: 2 }), 'EX', 60);
    await shared.inspector.set('iab:d:default:short', stored({ n: 2 }), 'EX', 60);
    expect(await store.get('d:default:long')).toEqual({ n: 1 });
    expect(await store.get('d:default:short')).toEqual({ n: 1 });
    clock.ms += 2000;
    expect(await store.get('d:default:short')).toEqual({ n: 2 });
    expect(await store.get('d:default:long')).toEqual({ n: 1 });
    clock.ms += 3000;
    expect(await store.get('d:default:long')).toEqual({ n: 2 });
  });

  it('what this instance stores answers from its memory too, for no longer than the value is fresh', async () => {
    const { store, clock } = nearCachedStore();
    await listening({ store, clock });
    await store.set('d:default:a', { allow: true, freshUntil: clock.ms + 1000 }, 600);
    expect(store.getNow?.('d:default:a')).toEqual({ allow: true, freshUntil: clock.ms + 1000 });
    clock.ms += 1000;
    expect(store.getNow?.('d:default:a')).toBeUndefined();
    // Still in Redis (stale answers are served when the backends fail), read from there.
    expect(await store.get('d:default:a')).toEqual({ allow: true, freshUntil: clock.ms });
  });

  it("a drop or a flush on another instance empties this instance's near-cache", async () => {
    const reader = nearCachedStore();
    const revoker = nearCachedStore();
    const [heard] = await listening(reader, revoker);
    await revoker.store.set('d:default:a', decision, 60);
    await revoker.store.set('d:other:b', decision, 60);
    expect(await reader.store.get('d:default:a')).toEqual(decision);
    expect(await reader.store.get('d:other:b')).toEqual(decision);
    await revoker.store.drop({ keys: ['d:default:a'], sessionsOf: [] });
    await vi.waitFor(() => expect(heard).toHaveLength(1), EVENTUALLY);
    expect(reader.store.getNow?.('d:default:a')).toBeUndefined();
    expect(await reader.store.get('d:default:a')).toBeUndefined();
    expect(reader.store.getNow?.('d:other:b')).toEqual(decision);
    await revoker.store.dropPrefix('d:');
    await vi.waitFor(() => expect(heard).toHaveLength(2), EVENTUALLY);
    expect(await reader.store.get('d:other:b')).toBeUndefined();
  });

  it('forgets everything when it stops hearing drops (its subscription broke), and keeps nothing until it hears again', async () => {
    const reader = nearCachedStore();
    await listening(reader);
    await shared.inspector.set('iab:d:default:a', stored({ n: 1 }), 'EX', 60);
    // Read until Redis answered within the store's 200 ms (under load a read can time out: a miss, not kept).
    await vi.waitFor(async () => expect(await reader.store.get('d:default:a')).toEqual({ n: 1 }), EVENTUALLY);
    await shared.inspector.set('iab:d:default:a', stored({ n: 2 }), 'EX', 60);
    expect(await reader.store.get('d:default:a')).toEqual({ n: 1 });
    // A drop announced now would not reach it.
    await shared.inspector.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await vi.waitFor(async () => expect(await reader.store.get('d:default:a')).toEqual({ n: 2 }), EVENTUALLY);
    // Subscribed again: it near-caches again.
    await vi.waitFor(
      async () => expect(await shared.inspector.pubsub('NUMSUB', DROP_CHANNEL)).toEqual([DROP_CHANNEL, 1]),
      EVENTUALLY,
    );
    await vi.waitFor(async () => {
      await reader.store.get('d:default:a');
      expect(reader.store.getNow?.('d:default:a')).toEqual({ n: 2 });
    }, EVENTUALLY);
  });
});
