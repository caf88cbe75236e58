import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { createStore } from '../../src/store/factory.js';
import { memoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { memoryLogger } from '../support/bridge.js';
import { builtModule } from '../support/built.js';
import { ManualClock } from '../support/manualClock.js';
import { admission, decision } from '../support/stores.js';

describe('memory store', () => {
  let store: Store;

  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2025-01-01T00:00:00Z') });
    store = memoryStore({ maxEntries: 100 });
  });
  afterEach(async () => {
    await store.close();
    vi.useRealTimers();
  });

  describe('decisions', () => {
    it('gives back what was stored, and nothing for a key never stored', async () => {
      await store.set('route:abc', decision, 60);
      expect(await store.get('route:abc')).toEqual(decision);
      expect(await store.get('route:other')).toBeUndefined();
    });

    it('claims a key once: a second claim gets the first value, until it expires', async () => {
      expect(await store.claim('b:t', { ip: '203.0.113.1' }, 60)).toEqual({ ip: '203.0.113.1' });
      expect(await store.claim('b:t', { ip: '198.51.100.2' }, 60)).toEqual({ ip: '203.0.113.1' });
      vi.advanceTimersByTime(61_000);
      expect(await store.claim('b:t', { ip: '198.51.100.2' }, 60)).toEqual({ ip: '198.51.100.2' });
    });

    it('forgets an entry once its TTL has passed', async () => {
      await store.set('k', decision, 1);
      vi.advanceTimersByTime(900);
      expect(await store.get('k')).toEqual(decision);
      vi.advanceTimersByTime(200);
      expect(await store.get('k')).toBeUndefined();
    });

    it('keeps the newest value and TTL when a key is stored again', async () => {
      await store.set('k', decision, 1);
      await store.set('k', { ...decision, allow: false }, 10);
      vi.advanceTimersByTime(5000);
      expect(await store.get('k')).toEqual({ ...decision, allow: false });
      expect(store.health().entries).toBe(1);
    });

    it.each([0, -5, 0.2, Number.NaN])('stores a TTL of %s for one second, never forever', async (ttl) => {
      await store.set('k', decision, ttl);
      expect(await store.get('k')).toEqual(decision);
      vi.advanceTimersByTime(1100);
      expect(await store.get('k')).toBeUndefined();
    });

    it('drops expired entries without their being read, and keeps live ones', async () => {
      await store.set('short', decision, 1);
      await store.set('long', decision, 60);
      await store.set('renewed', decision, 1);
      await store.set('renewed', decision, 60);
      expect(store.health().entries).toBe(3);
      vi.advanceTimersByTime(3000);
      expect(store.health().entries).toBe(2);
      expect(await store.get('long')).toEqual(decision);
      expect(await store.get('renewed')).toEqual(decision);
    });

    it('drops a large batch of expired entries a slice at a time', async () => {
      const big = memoryStore({ maxEntries: 20_000 });
      for (let i = 0; i < 12_000; i++) await big.set(`k${i}`, decision, 1);
      vi.advanceTimersByTime(3000);
      expect(big.health().entries).toBe(0);
      await big.close();
    });

    it('drops expired entries after the clock jumps far ahead', async () => {
      await store.set('k', decision, 5);
      vi.setSystemTime(Date.now() + 400 * 86_400_000);
      vi.advanceTimersByTime(1000);
      expect(store.health().entries).toBe(0);
    });

    it('drops expired entries after the clock is set back', async () => {
      vi.advanceTimersByTime(5000);
      vi.setSystemTime(Date.now() - 3_600_000);
      await store.set('k', decision, 1);
      vi.advanceTimersByTime(3000);
      expect(store.health().entries).toBe(0);
    });

    it('drops a key stored many times over within one second', async () => {
      for (let i = 0; i < 1000; i++) await store.set('k', decision, 1);
      vi.advanceTimersByTime(3000);
      expect(store.health().entries).toBe(0);
    });
  });

  describe('maxEntries', () => {
    let small: Store;
    beforeEach(() => {
      small = memoryStore({ maxEntries: 2 });
    });
    afterEach(() => small.close());

    it('does not store a new key when full, without failing, and says it is full', async () => {
      await small.set('a', decision, 60);
      await small.set('b', decision, 60);
      await expect(small.set('c', decision, 60)).resolves.toBeUndefined();
      expect(await small.get('c')).toBeUndefined();
      expect(small.health()).toMatchObject({ store: 'memory', ok: true, entries: 2 });
      expect(small.health().detail).toMatch(/2 of 2 entries \(full/);
    });

    it('a claim is kept when full: the entry stored longest ago makes room', async () => {
      await small.set('a', decision, 60);
      await small.set('b', decision, 60);
      expect(await small.claim('bind:t', { ip: '203.0.113.1' }, 60)).toEqual({ ip: '203.0.113.1' });
      expect(await small.claim('bind:t', { ip: '198.51.100.2' }, 60)).toEqual({ ip: '203.0.113.1' });
      expect(await small.get('a')).toBeUndefined();
      expect(await small.get('b')).toEqual(decision);
      expect(small.health()).toMatchObject({ entries: 2 });
    });

    it("makes room for a claim by dropping a cached decision, not another token's binding", async () => {
      const three = memoryStore({ maxEntries: 3 });
      try {
        await three.claim('bind:m1', { ip: '198.51.100.1' }, 60);
        await three.claim('bind:m2', { ip: '198.51.100.2' }, 60);
        await three.set('d', decision, 60);
        await three.claim('bind:m3', { ip: '198.51.100.3' }, 60);
        // The oldest entry was m1's binding: kept, so m1 is still denied from another IP.
        expect(await three.claim('bind:m1', { ip: '198.51.100.9' }, 60)).toEqual({ ip: '198.51.100.1' });
        expect(await three.get('d')).toBeUndefined();
        // Holding bindings alone, it drops the oldest of them: the new one is kept all the same.
        await three.claim('bind:m4', { ip: '198.51.100.4' }, 60);
        expect(await three.claim('bind:m4', { ip: '198.51.100.9' }, 60)).toEqual({ ip: '198.51.100.4' });
        expect(three.health()).toMatchObject({ entries: 3 });
      } finally {
        await three.close();
      }
    });

    it('still replaces a key it holds when full', async () => {
      await small.set('a', decision, 60);
      await small.set('b', decision, 60);
      await small.set('a', { ...decision, allow: false }, 60);
      expect(await small.get('a')).toEqual({ ...decision, allow: false });
    });

    it('stores new keys again once older ones have expired', async () => {
      await small.set('a', decision, 1);
      await small.set('b', decision, 1);
      vi.advanceTimersByTime(3000);
      await small.set('c', decision, 60);
      expect(await small.get('c')).toEqual(decision);
      expect(small.health().detail).toBe('1 of 2 entries');
    });
  });

  describe('admitSession', () => {
    it('admits sessions up to the limit, then refuses new ones', async () => {
      expect(await store.admitSession(admission('s1'))).toBe(true);
      expect(await store.admitSession(admission('s2'))).toBe(true);
      expect(await store.admitSession(admission('s3'))).toBe(false);
    });

    it('always admits a session already counted', async () => {
      await store.admitSession(admission('s1'));
      await store.admitSession(admission('s2'));
      expect(await store.admitSession(admission('s1'))).toBe(true);
      expect(await store.admitSession(admission('s2'))).toBe(true);
    });

    it('counts each user on their own', async () => {
      await store.admitSession(admission('s1'));
      await store.admitSession(admission('s2'));
      expect(await store.admitSession(admission('s1', { user: 'bob' }))).toBe(true);
    });

    it('stops counting a session idle longer than idleTtl, while a refreshed one stays', async () => {
      await store.admitSession(admission('s1'));
      await store.admitSession(admission('s2'));
      vi.advanceTimersByTime(50_000);
      await store.admitSession(admission('s1'));
      vi.advanceTimersByTime(20_000);
      expect(await store.admitSession(admission('s3'))).toBe(true);
      expect(await store.admitSession(admission('s4'))).toBe(false);
    });

    it('forgets a user idle past idleTtl altogether', async () => {
      await store.admitSession(admission('s1', { limit: 1 }));
      vi.advanceTimersByTime(61_000);
      expect(await store.admitSession(admission('s2', { limit: 1 }))).toBe(true);
    });

    it('with unique, lets the newest session replace all older ones', async () => {
      const unique = { limit: 1, unique: true };
      expect(await store.admitSession(admission('s1', unique))).toBe(true);
      expect(await store.admitSession(admission('s2', unique))).toBe(true);
      // s2 is now the only session counted: s1 would be a second one.
      expect(await store.admitSession(admission('s1', { limit: 1 }))).toBe(false);
      expect(await store.admitSession(admission('s2', { limit: 1 }))).toBe(true);
    });

    it('refuses every session with a limit of 0', async () => {
      expect(await store.admitSession(admission('s1', { limit: 0 }))).toBe(false);
    });
  });

  describe('indexes and drops', () => {
    it('finds a cached allow by any identity it was noted under, for as long as the allow lives', async () => {
      await store.set('d:default:a', decision, 60);
      await store.noteAllow('d:default:a', ['t:x', 'u:1042'], 60);
      await store.set('d:default:b', decision, 120);
      await store.noteAllow('d:default:b', ['t:y', 'u:1042'], 120);
      // Not cached (never stored, or the store was full): nothing to note.
      await store.noteAllow('d:default:never', ['t:x'], 60);
      expect(await store.notedUnder('t:x')).toEqual([{ key: 'd:default:a', identities: ['t:x', 'u:1042'] }]);
      expect((await store.notedUnder('u:1042'))!.map((n) => n.key)).toEqual(['d:default:a', 'd:default:b']);
      expect(await store.notedUnder('u:104')).toEqual([]);
      // The sweep that drops an expired allow drops its note with it.
      vi.advanceTimersByTime(62_000);
      expect((await store.notedUnder('u:1042'))!.map((n) => n.key)).toEqual(['d:default:b']);
      await store.drop({ keys: ['d:default:b'], sessionsOf: [] });
      expect(await store.notedUnder('u:1042')).toEqual([]);
    });

    it('finds allows among many without holding the event loop for all of them at once', async () => {
      vi.useRealTimers();
      const many = memoryStore({ maxEntries: 50_000 });
      for (let i = 0; i < 30_000; i++) {
        await many.set(`d:default:${i}`, decision, 60);
        await many.noteAllow(`d:default:${i}`, [`t:${i % 3}`], 60);
      }
      let turns = 0;
      const counting = setInterval(() => turns++, 0);
      const found = await many.notedUnder('t:1');
      clearInterval(counting);
      expect(found).toHaveLength(10_000);
      expect(turns).toBeGreaterThan(0);
      await many.close();
    });

    it('drops keys and counted sessions, says which held something, and tells its listeners', async () => {
      const heard: unknown[] = [];
      store.onDrop((event) => heard.push(event));
      await store.set('d:default:a', decision, 60);
      await store.claim('b:t', { ip: '203.0.113.1' }, 60);
      await store.noteAllow('d:default:a', ['t:x'], 60);
      await store.admitSession(admission('s1'));
      await store.admitSession(admission('s2'));
      const dropped = await store.drop({
        keys: ['d:default:a', 'b:t', 'd:default:never'],
        sessionsOf: ['alice', 'nobody'],
      });
      expect(dropped).toEqual({ keys: ['d:default:a', 'b:t'], sessions: 2 });
      expect(await store.get('d:default:a')).toBeUndefined();
      expect(await store.get('b:t')).toBeUndefined();
      expect(await store.notedUnder('t:x')).toEqual([]);
      expect(await store.admitSession(admission('s3', { limit: 1 }))).toBe(true);
      expect(heard).toEqual([
        { kind: 'keys', keys: ['d:default:a', 'b:t', 'd:default:never'], sessionsOf: ['alice', 'nobody'] },
      ]);
    });

    it('drops every key under a prefix and nothing else', async () => {
      const heard: unknown[] = [];
      const unsubscribe = store.onDrop((event) => heard.push(event));
      for (const key of ['d:default:a', 'd:default:b', 'd:defaults:c', 'd:other:a', 'b:t'])
        await store.set(key, decision, 60);
      expect(await store.dropPrefix('d:default:')).toBe(2);
      expect(
        await Promise.all(
          ['d:default:a', 'd:default:b', 'd:defaults:c', 'd:other:a', 'b:t'].map(
            async (key) => (await store.get(key)) !== undefined,
          ),
        ),
      ).toEqual([false, false, true, true, true]);
      expect(heard).toEqual([{ kind: 'prefix', prefix: 'd:default:' }]);
      unsubscribe();
      expect(await store.dropPrefix('d:')).toBe(2);
      expect(heard).toHaveLength(1);
    });
  });

  it('leaves no timer behind once closed', async () => {
    await store.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is what createStore gives for cache.store: memory, bounded by cache.maxEntries', async () => {
    const config = validateConfig({ cache: { maxEntries: 5 } }, 'test config', {});
    const created = createStore(config.cache, memoryLogger([]));
    expect(created.health()).toMatchObject({ store: 'memory', ok: true, detail: '0 of 5 entries' });
    await created.close();
  });
});

describe('memory store timers', () => {
  it('do not keep the process alive', () => {
    const script = `import(${JSON.stringify(builtModule('store/memory.ts'))}).then(({ memoryStore }) => memoryStore({ maxEntries: 10 }).set('k', { allow: true }, 3600))`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: process.cwd(),
      timeout: 15_000,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('memory store on the clock it is given', () => {
  it('expires decisions and idle sessions by that clock', async () => {
    const clock = new ManualClock();
    const store = memoryStore({ maxEntries: 100, clock });
    await store.set('route:abc', decision, 60);
    expect(await store.admitSession(admission('s1', { limit: 1 }))).toBe(true);
    expect(await store.admitSession(admission('s2', { limit: 1 }))).toBe(false);
    clock.advance(59_000);
    expect(await store.get('route:abc')).toEqual(decision);
    clock.advance(2000);
    expect(await store.get('route:abc')).toBeUndefined();
    // s1 was last seen 61 s ago, past its 60 s idleTtl: its place is free.
    expect(await store.admitSession(admission('s2', { limit: 1 }))).toBe(true);
    await store.close();
  });
});
