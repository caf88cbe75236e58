import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpiringCache } from '../../src/store/expiringCache.js';
import { ManualClock } from '../support/manualClock.js';

// `size` counts what the cache holds without reading it: an entry past its TTL is still counted
// until the once-a-second drop pass removes it, so these tests see what that pass does.
describe('ExpiringCache: keys stored again with a new TTL', () => {
  let cache: ExpiringCache<string>;

  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2025-01-01T00:00:00Z') });
    cache = new ExpiringCache<string>(-1);
  });
  afterEach(() => {
    cache.close();
    vi.useRealTimers();
  });

  it('keeps a key stored again every 10 s for two hours, and drops it unread once its last TTL passes', () => {
    for (let i = 0; i < 720; i++) {
      cache.set('user', `v${i}`, 3600);
      vi.advanceTimersByTime(10_000);
      expect(cache.size).toBe(1);
    }
    expect(cache.get('user')).toBe('v719');
    // The last store was 10 s ago: it lives until 3600 s after it.
    vi.advanceTimersByTime(3_588_000);
    expect(cache.size).toBe(1);
    vi.advanceTimersByTime(4000);
    expect(cache.size).toBe(0);
  });

  it('drops keys when their own refreshes stop, and keeps the ones still refreshed', () => {
    for (let second = 0; second < 600; second++) {
      for (let user = second % 10; user < 100; user += 10) {
        if (second < 300 || user % 2 === 0) cache.set(`user${user}`, 'sessions', 60);
      }
      vi.advanceTimersByTime(1000);
      // Odd users are last stored in seconds 291 to 299, each for 60 s: none goes before second 351,
      // all are gone by second 360.
      if (second >= 9 && second <= 350) expect(cache.size).toBe(100);
      if (second >= 359) expect(cache.size).toBe(50);
    }
    expect(cache.size).toBe(50);
    vi.advanceTimersByTime(63_000);
    expect(cache.size).toBe(0);
  });

  it('drops a key at a shorter TTL it was stored again with', () => {
    cache.set('k', 'long', 3600);
    vi.advanceTimersByTime(30_000);
    cache.set('k', 'short', 5);
    vi.advanceTimersByTime(4000);
    expect(cache.size).toBe(1);
    vi.advanceTimersByTime(3000);
    expect(cache.size).toBe(0);
  });

  it('drops a key stored with alternately longer and shorter TTLs once the last one passes', () => {
    for (let i = 0; i < 100; i++) {
      cache.set('k', 'v', i % 2 === 0 ? 60 : 30);
      vi.advanceTimersByTime(10_000);
      expect(cache.size).toBe(1);
    }
    // The last store (i = 99) had 30 s, 10 s ago.
    vi.advanceTimersByTime(19_000);
    expect(cache.size).toBe(1);
    vi.advanceTimersByTime(3000);
    expect(cache.size).toBe(0);
  });

  it('drops a key deleted and stored again once its new TTL passes', () => {
    cache.set('k', 'first', 5);
    cache.delete('k');
    expect(cache.size).toBe(0);
    cache.set('k', 'second', 30);
    vi.advanceTimersByTime(10_000);
    expect(cache.get('k')).toBe('second');
    vi.advanceTimersByTime(22_000);
    expect(cache.size).toBe(0);
  });

  it('drops a key that expired, was read and stored again before the drop pass, once its new TTL passes', () => {
    cache.set('k', 'first', 1);
    vi.advanceTimersByTime(1500);
    expect(cache.get('k')).toBeUndefined();
    cache.set('k', 'second', 30);
    vi.advanceTimersByTime(3000);
    expect(cache.get('k')).toBe('second');
    vi.advanceTimersByTime(29_000);
    expect(cache.size).toBe(0);
  });

  it('drops a key stored again after the clock is set back, at its new TTL', () => {
    cache.set('k', 'v', 60);
    vi.setSystemTime(Date.now() - 3_600_000);
    cache.set('k', 'v', 1);
    vi.advanceTimersByTime(3000);
    expect(cache.size).toBe(0);
  });

  it('keeps a key stored again while the keys of its old second are being dropped', () => {
    // 3,000 keys end in the same second: dropping them takes three turns of the event loop.
    for (let i = 0; i < 3000; i++) cache.set(`k${i}`, 'v', 1);
    vi.advanceTimersByTime(1500);
    vi.advanceTimersToNextTimer(); // the drop pass for that second: its first slice
    expect(cache.size).toBe(2000);
    cache.set('k2999', 'again', 60);
    vi.advanceTimersByTime(1000);
    expect(cache.size).toBe(1);
    expect(cache.get('k2999')).toBe('again');
    vi.advanceTimersByTime(60_000);
    expect(cache.size).toBe(0);
  });
});

describe('ExpiringCache on the clock it is given', () => {
  it('expires entries and runs its sweep by that clock alone', () => {
    const clock = new ManualClock();
    const expired: string[] = [];
    const cache = new ExpiringCache<string>(-1, (key) => expired.push(key), clock);
    cache.set('short', 'v', 1);
    cache.set('long', 'v', 60);
    clock.advance(1000);
    expect(cache.get('short')).toBe('v');
    clock.advance(1000);
    expect(cache.get('short')).toBeUndefined();
    expect(cache.get('long')).toBe('v');
    clock.advance(59_000);
    // The sweep found both: `short` (dropped when read) and `long` (never read again).
    expect(expired.sort()).toEqual(['long', 'short']);
    expect(cache.size).toBe(0);
    cache.close();
  });

  it('refuses a new key when full, but replaces a held one and takes a key whose entry expired', () => {
    const clock = new ManualClock();
    const cache = new ExpiringCache<string>(2, undefined, clock);
    expect(cache.set('a', '1', 1)).toBe(true);
    expect(cache.set('b', '1', 60)).toBe(true);
    expect(cache.set('c', '1', 60)).toBe(false);
    expect(cache.set('b', '2', 60)).toBe(true);
    expect(cache.get('b')).toBe('2');
    clock.advance(1001);
    expect(cache.set('a', '2', 60)).toBe(true);
    expect(cache.get('a')).toBe('2');
    cache.close();
  });

  it('stops its sweep when closed', () => {
    const clock = new ManualClock();
    const expired: string[] = [];
    const cache = new ExpiringCache<string>(-1, (key) => expired.push(key), clock);
    cache.set('k', 'v', 1);
    cache.close();
    clock.advance(10_000);
    expect(expired).toEqual([]);
  });
});
