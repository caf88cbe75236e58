import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Clock } from '../../src/clock.js';
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
    const cache = new ExpiringCache<string>(-1, clock);
    cache.set('short', 'v', 1);
    cache.set('long', 'v', 60);
    clock.advance(1000);
    expect(cache.get('short')).toBe('v');
    clock.advance(1000);
    expect(cache.get('short')).toBeUndefined();
    expect(cache.get('long')).toBe('v');
    expect(cache.size).toBe(1);
    clock.advance(59_000);
    // The sweep found `long` expired without its being read again.
    expect(cache.size).toBe(0);
    cache.close();
  });

  it('refuses a new key when full, but replaces a held one and takes a key whose entry expired', () => {
    const clock = new ManualClock();
    const cache = new ExpiringCache<string>(2, clock);
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
    const manual = new ManualClock();
    let sweeps = 0;
    let stopped = false;
    const clock: Clock = {
      now: () => manual.now(),
      every(ms, task) {
        const stop = manual.every(ms, () => {
          sweeps += 1;
          task();
        });
        return () => {
          stopped = true;
          stop();
        };
      },
    };
    const cache = new ExpiringCache<string>(-1, clock);
    cache.set('k', 'v', 1);
    manual.advance(1000);
    expect(sweeps).toBe(1);
    cache.close();
    manual.advance(10_000);
    expect(stopped).toBe(true);
    expect(sweeps).toBe(1);
  });
});

describe('ExpiringCache notes', () => {
  it('keeps a note with a held entry only, through a new value, until the entry goes', () => {
    const clock = new ManualClock();
    const cache = new ExpiringCache<string>(-1, clock);
    expect(cache.note('absent', 'n')).toBe(false);
    cache.set('a', 'v1', 10);
    cache.set('b', 'v1', 60);
    expect(cache.note('a', 'whose a')).toBe(true);
    cache.note('b', 'whose b');
    cache.set('a', 'v2', 10);
    expect([...cache.notes()]).toEqual([
      ['a', 'whose a'],
      ['b', 'whose b'],
    ]);
    cache.delete('b');
    expect([...cache.notes()]).toEqual([['a', 'whose a']]);
    clock.advance(12_000);
    expect([...cache.notes()]).toEqual([]);
    cache.set('a', 'v3', 10);
    expect([...cache.notes()]).toEqual([]);
    cache.close();
  });
});

describe('ExpiringCache over a long uptime', () => {
  it('expires entries stored 30 days after it was made as it did on its first day', () => {
    const clock = new ManualClock();
    const cache = new ExpiringCache<string>(-1, clock);
    for (const day of [0, 30]) {
      clock.advance(day * 86_400_000);
      cache.set('k', 'v', 5);
      clock.advance(5000);
      expect(cache.get('k')).toBe('v');
      clock.advance(1);
      expect(cache.get('k')).toBeUndefined();
      cache.set('swept', 'v', 5);
      clock.advance(7000);
      expect(cache.size).toBe(0);
    }
    cache.close();
  });
});

describe('ExpiringCache index', () => {
  it('keeps one index entry per key refreshed every second, not one per second it was stored in', () => {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const clock = new ManualClock();
    const cache = new ExpiringCache<string>(-1, clock);
    // As many as one slice of the sweep, which this clock runs at once.
    const users = Array.from({ length: 1000 }, (_, i) => `user${i}`);
    for (const user of users) cache.set(user, 'sessions', 3600);
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let second = 0; second < 200; second++) {
      for (const user of users) cache.set(user, 'sessions', 3600);
      clock.advance(1000);
    }
    collect();
    // One index entry per store would be 200,000 of them (1.6 MB at least).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(400_000);
    expect(cache.size).toBe(1000);
    clock.advance(3_601_000);
    expect(cache.size).toBe(0);
    cache.close();
  });
});
