import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { admission, connected, redisPerFile, settlesWithin } from '../support/stores.js';

// `releaseSession`: a viewing session that ended stops holding a connection-limit slot at once,
// in the memory store and in a real Redis shared by several instances.

const { stores, shared } = redisPerFile();

async function openRedis(): Promise<Store> {
  const { store } = stores.open(shared.server.url);
  await connected(store);
  return store;
}

const kinds: [string, () => Promise<Store>][] = [
  [
    'memory',
    async () => {
      const store = memoryStore({ maxEntries: 100 });
      stores.adopt(store);
      return store;
    },
  ],
  ['redis', openRedis],
];

describe.each(kinds)('%s store releaseSession', (_kind, open) => {
  it('frees the slot of the session released, and only that one', async () => {
    const store = await open();
    expect(await store.admitSession(admission('s1'))).toBe(true);
    expect(await store.admitSession(admission('s2'))).toBe(true);
    expect(await store.admitSession(admission('s3'))).toBe(false);
    await store.releaseSession('alice', 's1');
    expect(await store.admitSession(admission('s3'))).toBe(true);
    // s1 ended: coming back it is a new session, and s2 and s3 hold both slots.
    expect(await store.admitSession(admission('s1'))).toBe(false);
    expect(await store.admitSession(admission('s2'))).toBe(true);
  });

  it('a session never counted, or counted for another user, releases nothing', async () => {
    const store = await open();
    await store.admitSession(admission('s1', { limit: 1 }));
    await store.releaseSession('alice', 'never-seen');
    await store.releaseSession('bob', 's1');
    await store.releaseSession('carol', 'nobody');
    expect(await store.admitSession(admission('s2', { limit: 1 }))).toBe(false);
    expect(await store.admitSession(admission('s1', { limit: 1 }))).toBe(true);
  });

  it('a listed session re-counted with the largest limit is counted whatever the count, as the connector keeps it', async () => {
    const store = await open();
    await store.admitSession(admission('s1', { limit: 1 }));
    expect(await store.admitSession(admission('s2', { limit: Number.MAX_SAFE_INTEGER }))).toBe(true);
    await store.releaseSession('alice', 's1');
    expect(await store.admitSession(admission('s3', { limit: 1 }))).toBe(false);
  });
});

describe('redis store releaseSession, shared and failing', () => {
  it("a release on one instance frees the slot for every other, and the user's last release leaves no key", async () => {
    const [first, second] = [await openRedis(), await openRedis()];
    expect(await first.admitSession(admission('s1', { limit: 1 }))).toBe(true);
    expect(await second.admitSession(admission('s2', { limit: 1 }))).toBe(false);
    await first.releaseSession('alice', 's1');
    expect(await shared.inspector.exists('iab:sessions:alice')).toBe(0);
    expect(await second.admitSession(admission('s2', { limit: 1 }))).toBe(true);
  });

  it("with Redis gone, a release settles at once and frees the instance's own count", async () => {
    const { store } = stores.open(shared.server.url);
    await connected(store);
    await shared.server.kill();
    try {
      // Counted by the instance itself while Redis cannot answer.
      expect(await settlesWithin(store.admitSession(admission('s1', { limit: 1 })))).toBe(true);
      expect(await settlesWithin(store.admitSession(admission('s2', { limit: 1 })))).toBe(false);
      await settlesWithin(store.releaseSession('alice', 's1'));
      expect(await settlesWithin(store.admitSession(admission('s2', { limit: 1 })))).toBe(true);
    } finally {
      await shared.server.restart();
    }
  });
});
