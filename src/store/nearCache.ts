import type { StoredValue } from './types.js';

export interface NearCacheOptions {
  /** The longest any value is kept (`cache.localTtl`); 0 keeps nothing. */
  readonly ttlMs: number;
  /** Past this many entries the oldest goes first. */
  readonly maxEntries: number;
  /** Epoch milliseconds (injected, so tests drive time). */
  readonly now?: () => number;
}

interface Kept {
  readonly value: StoredValue;
  /** Epoch ms after which the value is not answered. */
  readonly until: number;
}

/** How many expired entries each write looks for at the oldest end: enough to keep up, never a pause. */
const SWEEP_PER_WRITE = 2;

/**
 * What a Redis store read recently, kept in the instance's memory so a cached check does not wait
 * for Redis. A value is kept for the shorter of `ttlMs`, the life Redis gave its key, and, for a
 * value that says until when it is fresh (`freshUntil`, epoch ms, as cached decisions do), that
 * time: past it the value would not answer anyway. Entries go in the order they came (Map order), which
 * with one `ttlMs` for all is nearly the order they expire: expired ones are dropped from the oldest
 * end as new ones come, so no timer walks the map.
 */
export class NearCache {
  private readonly entries = new Map<string, Kept>();
  private readonly now: () => number;

  constructor(private readonly options: NearCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): StoredValue | undefined {
    const kept = this.entries.get(key);
    if (kept === undefined) return undefined;
    if (kept.until > this.now()) return kept.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Keeps `value` for at most `lifetimeMs` (what is left of its life in the shared store). */
  keep(key: string, value: StoredValue, lifetimeMs: number): void {
    const now = this.now();
    const freshUntil = typeof value.freshUntil === 'number' ? value.freshUntil : Number.POSITIVE_INFINITY;
    const until = Math.min(now + this.options.ttlMs, now + lifetimeMs, freshUntil);
    // Deleted first, so a key kept again moves to the newest end.
    this.entries.delete(key);
    if (until <= now) return;
    this.entries.set(key, { value, until });
    this.sweep(now);
  }

  forget(keys: readonly string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  forgetPrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  private sweep(now: number): void {
    let looked = 0;
    for (const [key, kept] of this.entries) {
      const full = this.entries.size > this.options.maxEntries;
      if (!full && (kept.until > now || looked >= SWEEP_PER_WRITE)) return;
      this.entries.delete(key);
      looked += 1;
    }
  }
}
