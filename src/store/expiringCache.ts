import NodeCache from 'node-cache';

/** Expired entries are looked for once a second and dropped a thousand per turn of the event loop. */
const DROP_INTERVAL_MS = 1000;
const DROP_SLICE = 1000;

function isCacheFull(error: unknown): boolean {
  return error instanceof Error && (error as Error & { errorcode?: string }).errorcode === 'ECACHEFULL';
}

/**
 * node-cache with `useClones: false` (one object per entry, no copies: a
 * million decisions stay small; stored values are never mutated), plus an
 * index of keys by the second they expire.
 *
 * node-cache's own `checkperiod` sweep walks every key in one go, which at a
 * million entries stalls the event loop for hundreds of milliseconds; the index
 * lets expired entries go a slice at a time instead, with work proportional to
 * what expires.
 *
 * A key is indexed once, under the second its current entry expires: storing
 * it again moves it there, and `delete` takes it out. A key refreshed all the
 * time (a user's sessions, stored again on every admission) so stays one index
 * entry rather than one per second it was stored in.
 */
export class ExpiringCache<V> {
  private readonly cache: NodeCache;
  private readonly expiringAt = new Map<number, Set<string>>();
  private checkedUpTo = currentSecond();
  private dropping = false;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  /** `maxKeys` -1: unbounded. `onExpired` hears each key the sweep found expired (not keys deleted or stored again). */
  constructor(
    maxKeys: number,
    private readonly onExpired?: (key: string) => void,
  ) {
    this.cache = new NodeCache({ stdTTL: 0, checkperiod: 0, useClones: false, deleteOnExpire: true, maxKeys });
    this.timer = setInterval(() => this.dropExpired(), DROP_INTERVAL_MS).unref();
  }

  get size(): number {
    return this.cache.getStats().keys;
  }

  /** Every key held now (expired ones the sweep has not reached yet included: `get` them to know). */
  keys(): string[] {
    return this.cache.keys();
  }

  get(key: string): V | undefined {
    return this.cache.get<V>(key);
  }

  /** Stores for `ttlSeconds` (> 0); false when the cache is full and `key` is new. */
  set(key: string, value: V, ttlSeconds: number): boolean {
    // When the entry now under `key` ends (ms), or undefined when there is none.
    const previousEnd = this.cache.getTtl(key);
    try {
      this.cache.set(key, value, ttlSeconds);
    } catch (error) {
      if (!isCacheFull(error)) throw error;
      // node-cache refuses even an overwrite when full, though replacing a key does not grow it.
      if (this.cache.del(key) === 0) return false;
      this.cache.set(key, value, ttlSeconds);
    }
    const second = secondAfter(this.cache.getTtl(key)!);
    if (previousEnd !== undefined) {
      const previousSecond = secondAfter(previousEnd);
      if (previousSecond === second) return true;
      this.unindex(key, previousSecond);
    }
    const keys = this.expiringAt.get(second);
    if (keys) keys.add(key);
    else this.expiringAt.set(second, new Set([key]));
    return true;
  }

  delete(key: string): void {
    const end = this.cache.getTtl(key);
    if (end === undefined) return;
    this.cache.del(key);
    this.unindex(key, secondAfter(end));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.expiringAt.clear();
    this.cache.flushAll();
    this.cache.close();
  }

  private unindex(key: string, second: number): void {
    const keys = this.expiringAt.get(second);
    // Absent when that second is already being dropped.
    if (keys?.delete(key) && keys.size === 0) this.expiringAt.delete(second);
  }

  private dropExpired(): void {
    if (this.dropping) return;
    const now = currentSecond();
    // Walk the seconds since the last check, or the index itself if that is shorter (after a clock
    // jump forward). After a jump backwards the walk starts over from the new now.
    const seconds =
      now - this.checkedUpTo + 1 <= this.expiringAt.size ? range(this.checkedUpTo, now) : [...this.expiringAt.keys()];
    this.checkedUpTo = now + 1;
    const due: string[] = [];
    for (const second of seconds) {
      const keys = second <= now ? this.expiringAt.get(second) : undefined;
      if (keys) {
        for (const key of keys) due.push(key);
        this.expiringAt.delete(second);
      }
    }
    if (due.length > 0) {
      this.dropping = true;
      this.dropSlice(due, 0);
    }
  }

  private dropSlice(keys: string[], from: number): void {
    if (this.closed) return;
    const end = Math.min(from + DROP_SLICE, keys.length);
    // has() drops the entry when it has expired. A key stored again after its entry expired unread
    // lives on, indexed under its new second.
    for (let i = from; i < end; i++) {
      if (!this.cache.has(keys[i]!)) this.onExpired?.(keys[i]!);
    }
    if (end < keys.length) setImmediate(() => this.dropSlice(keys, end));
    else this.dropping = false;
  }
}

function range(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}

/** node-cache counts an entry expired once now > its end: the first whole second past that end. */
function secondAfter(endMs: number): number {
  return Math.floor(endMs / 1000) + 1;
}

function currentSecond(): number {
  return Math.floor(Date.now() / 1000);
}
