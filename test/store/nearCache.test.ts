import { describe, expect, it } from 'vitest';
import { NearCache } from '../../src/store/nearCache.js';

/** A near-cache on a clock the test moves. */
function nearCache(ttlMs: number, maxEntries = 100) {
  const clock = { ms: 1_000_000 };
  const cache = new NearCache({ ttlMs, maxEntries, now: () => clock.ms });
  return { cache, clock };
}

describe('near-cache', () => {
  it('answers a value for its ttl, and not a millisecond longer', () => {
    const { cache, clock } = nearCache(5000);
    cache.keep('d:a', { allow: true }, 60_000);
    clock.ms += 4999;
    expect(cache.get('d:a')).toEqual({ allow: true });
    clock.ms += 1;
    expect(cache.get('d:a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never keeps a value past the life its shared key has left, nor past its own freshUntil', () => {
    const { cache, clock } = nearCache(5000);
    cache.keep('d:short', { allow: true }, 1200);
    cache.keep('d:fresh', { allow: true, freshUntil: clock.ms + 800 }, 60_000);
    clock.ms += 799;
    expect(cache.get('d:fresh')).toEqual({ allow: true, freshUntil: clock.ms + 1 });
    clock.ms += 1;
    expect(cache.get('d:fresh')).toBeUndefined();
    expect(cache.get('d:short')).toEqual({ allow: true });
    clock.ms += 400;
    expect(cache.get('d:short')).toBeUndefined();
  });

  it('keeps nothing with ttl 0, nor a value already past its freshness', () => {
    const off = nearCache(0);
    off.cache.keep('d:a', { allow: true }, 60_000);
    expect(off.cache.get('d:a')).toBeUndefined();
    const { cache, clock } = nearCache(5000);
    cache.keep('d:stale', { allow: true, freshUntil: clock.ms - 1 }, 60_000);
    expect(cache.get('d:stale')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('a key kept again takes the new value and the new life', () => {
    const { cache, clock } = nearCache(5000);
    cache.keep('d:a', { allow: true }, 60_000);
    clock.ms += 4000;
    cache.keep('d:a', { allow: false }, 60_000);
    clock.ms += 4000;
    expect(cache.get('d:a')).toEqual({ allow: false });
  });

  it('forgets keys, keys under a prefix, or everything', () => {
    const { cache } = nearCache(5000);
    for (const key of ['d:r1:a', 'd:r1:b', 'd:r2:a', 'b:t']) cache.keep(key, { allow: true }, 60_000);
    cache.forget(['d:r1:a', 'd:never']);
    expect(cache.get('d:r1:a')).toBeUndefined();
    cache.forgetPrefix('d:r2:');
    expect(cache.get('d:r2:a')).toBeUndefined();
    expect(cache.get('d:r1:b')).toEqual({ allow: true });
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries, the oldest going first, and drops expired entries as new ones come', () => {
    const { cache, clock } = nearCache(5000, 3);
    for (const key of ['a', 'b', 'c', 'd']) cache.keep(key, { allow: true }, 60_000);
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('d')).toEqual({ allow: true });
    clock.ms += 5000;
    // Every old entry has expired: each write drops up to two of them without anyone reading them.
    cache.keep('e', { allow: true }, 60_000);
    cache.keep('f', { allow: true }, 60_000);
    expect(cache.size).toBe(2);
  });
});
