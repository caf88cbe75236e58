import { type Clock, systemClock } from '../clock.js';

/** Expired entries are looked for once a second and dropped a thousand per turn of the event loop. */
const DROP_INTERVAL_MS = 1000;
const DROP_SLICE = 1000;

interface Entry<V> {
  readonly value: V;
  /** When the entry ends (clock ms): it is expired once the clock is past this. */
  readonly end: number;
}

/**
 * A map whose entries expire, bounded in keys, with an index of keys by the
 * second they expire, on an injected clock.
 *
 * One object per entry, no copies (a million decisions stay small; stored
 * values are never mutated). Expired entries are dropped when read, and by a
 * sweep once a second that goes through the index a slice at a time, so work
 * is proportional to what expires and the event loop never stalls (walking a
 * million keys in one go takes hundreds of milliseconds). node-cache, used
 * here before, reads `Date.now()` itself and so cannot run on a clock.
 *
 * A key is indexed once, under the second its current entry expires: storing
 * it again moves it there, and `delete` takes it out. A key refreshed all the
 * time (a user's sessions, stored again on every admission) so stays one index
 * entry rather than one per second it was stored in.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly expiringAt = new Map<number, Set<string>>();
  private checkedUpTo: number;
  private dropping = false;
  private closed = false;
  private readonly stopSweep: () => void;

  /** `maxKeys` -1: unbounded. `onExpired` hears each key the sweep found expired (not keys deleted or stored again). */
  constructor(
    private readonly maxKeys: number,
    private readonly onExpired?: (key: string) => void,
    private readonly clock: Clock = systemClock,
  ) {
    this.checkedUpTo = this.currentSecond();
    this.stopSweep = clock.every(DROP_INTERVAL_MS, () => this.dropExpired());
  }

  /** Entries held, expired ones the sweep has not reached yet included. */
  get size(): number {
    return this.entries.size;
  }

  /** Every key held now (expired ones the sweep has not reached yet included: `get` them to know). */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  get(key: string): V | undefined {
    return this.live(key)?.value;
  }

  /** Stores for `ttlSeconds` (> 0); false when the cache is full and `key` is new. */
  set(key: string, value: V, ttlSeconds: number): boolean {
    const previous = this.live(key);
    if (!previous && this.maxKeys >= 0 && this.entries.size >= this.maxKeys) return false;
    const end = this.clock.now() + ttlSeconds * 1000;
    this.entries.set(key, { value, end });
    const second = secondAfter(end);
    if (previous) {
      const previousSecond = secondAfter(previous.end);
      if (previousSecond === second) return true;
      this.unindex(key, previousSecond);
    }
    const keys = this.expiringAt.get(second);
    if (keys) keys.add(key);
    else this.expiringAt.set(second, new Set([key]));
    return true;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.unindex(key, secondAfter(entry.end));
  }

  close(): void {
    this.closed = true;
    this.stopSweep();
    this.expiringAt.clear();
    this.entries.clear();
  }

  /** The entry under `key` unless it has expired; an expired one is dropped (its index entry goes with the sweep). */
  private live(key: string): Entry<V> | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.end >= this.clock.now()) return entry;
    this.entries.delete(key);
    return undefined;
  }

  private unindex(key: string, second: number): void {
    const keys = this.expiringAt.get(second);
    // Absent when that second is already being dropped.
    if (keys?.delete(key) && keys.size === 0) this.expiringAt.delete(second);
  }

  private dropExpired(): void {
    if (this.dropping) return;
    const now = this.currentSecond();
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
    // A key already dropped when read is reported too. A key stored again after its entry expired
    // unread lives on, indexed under its new second.
    for (let i = from; i < end; i++) {
      const key = keys[i]!;
      const entry = this.entries.get(key);
      if (entry !== undefined && entry.end >= this.clock.now()) continue;
      this.entries.delete(key);
      this.onExpired?.(key);
    }
    if (end < keys.length) setImmediate(() => this.dropSlice(keys, end));
    else this.dropping = false;
  }

  private currentSecond(): number {
    return Math.floor(this.clock.now() / 1000);
  }
}

function range(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}

/** An entry counts as expired once now > its end: the first whole second past that end. */
function secondAfter(endMs: number): number {
  return Math.floor(endMs / 1000) + 1;
}
