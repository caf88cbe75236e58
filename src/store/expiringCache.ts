import { type Clock, systemClock } from '../clock.js';
import { flatText } from './flatText.js';

/** Expired entries are looked for once a second and dropped a thousand per turn of the event loop. */
const DROP_INTERVAL_MS = 1000;
const DROP_SLICE = 1000;

/**
 * One key's entry. A class, so every entry has the same four in-object fields and nothing else:
 * a million of them are 56 MB, where an object with a boxed time, a second map for notes and a set
 * per second for the index took about twice that.
 */
class Entry<V> {
  constructor(
    readonly value: V,
    /**
     * When the entry ends, in ms since the cache's epoch (see `ExpiringCache.elapsed`): expired once elapsed is past
     * this.
     */
    readonly end: number,
    /** What the cache's owner noted about the entry; dropped with it. */
    public note: string | undefined,
    /**
     * The second whose list holds this entry's key for the sweep (another list may still name the key: see `index`).
     */
    public indexedAt: number,
  ) {}
}

/**
 * A map whose entries expire, bounded in keys, with an index of keys by the
 * second they expire, on an injected clock.
 *
 * One small object per entry, no copies (a million decisions stay small;
 * stored values are never mutated). Expired entries are dropped when read, and
 * by a sweep once a second that goes through the index a slice at a time, so
 * work is proportional to what expires and the event loop never stalls
 * (walking a million keys in one go takes hundreds of milliseconds).
 * node-cache, used here before, reads `Date.now()` itself and so cannot run on
 * a clock.
 *
 * The index is a list of keys per second (8 bytes a key, where a set costs
 * 20 to 40) that is never searched: a key deleted or stored again stays in
 * the list it was in, and the sweep passes over every key whose entry is not
 * indexed at that second any more. A key stored again with a later end stays
 * where it is, and the sweep moves it on when it finds it still alive there,
 * so a key refreshed all the time (a user's sessions, stored again on every
 * admission) stays one index entry rather than one per second it was stored
 * in. Only a sooner end, or a deleted key stored anew, adds one.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly expiringAt = new Map<number, string[]>();
  /** Keys stored by `setMakingRoom` (token bindings): the last a full cache drops to make room. */
  private readonly kept = new Set<string>();
  /**
   * Entry ends count from here: a few weeks of milliseconds are a small integer, which V8 keeps
   * inside the entry, where an epoch time would be a boxed number of 16 bytes more per entry.
   */
  private readonly epoch: number;
  private checkedUpTo: number;
  private dropping = false;
  private closed = false;
  private readonly stopSweep: () => void;

  /** `maxKeys` -1: unbounded. */
  constructor(
    private readonly maxKeys: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.epoch = clock.now();
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

  /** Stores for `ttlSeconds` (> 0), keeping the key's note; false when the cache is full and `key` is new. */
  set(key: string, value: V, ttlSeconds: number): boolean {
    const previous = this.live(key);
    if (!previous && this.maxKeys >= 0 && this.entries.size >= this.maxKeys) return false;
    // A whole number (the clock's are), so that it stays unboxed.
    const end = Math.trunc(this.elapsed() + ttlSeconds * 1000);
    const second = this.secondAfter(end);
    // A later end keeps its index entry: the sweep moves the key on when it gets there.
    const indexedAt = previous && previous.indexedAt <= second ? previous.indexedAt : this.index(key, second);
    // A key held already is kept by the map as it was stored first: only a new one needs flattening.
    this.entries.set(previous ? key : flatText(key), new Entry(value, end, previous?.note, indexedAt));
    return true;
  }

  /**
   * Stores like `set`, but a full cache first drops an entry to make room: for what must be kept (a token's
   * binding to an IP) over what only saves a question (a cached decision). The one dropped is the entry stored
   * longest ago that was not stored this way; only a cache holding nothing else drops its oldest binding (a binding
   * dropped lets its token in from any IP).
   */
  setMakingRoom(key: string, value: V, ttlSeconds: number): void {
    if (!this.set(key, value, ttlSeconds)) {
      let victim: string | undefined;
      for (const held of this.entries.keys()) {
        victim ??= held;
        if (!this.kept.has(held)) {
          victim = held;
          break;
        }
      }
      if (victim !== undefined) this.forget(victim);
      this.set(key, value, ttlSeconds);
    }
    this.kept.add(key);
  }

  /** Keeps `note` with the entry under `key` until it is dropped or noted again; false when no entry is held. */
  note(key: string, note: string): boolean {
    const entry = this.live(key);
    if (entry) entry.note = flatText(note);
    return entry !== undefined;
  }

  /**
   * Every held entry's key and note, for the entries that have one (expired ones the sweep has not reached yet
   * included).
   */
  *notes(): Generator<readonly [key: string, note: string]> {
    for (const [key, entry] of this.entries) if (entry.note !== undefined) yield [key, entry.note];
  }

  /** Drops the entry (its index entry goes with the sweep). */
  delete(key: string): void {
    this.forget(key);
  }

  close(): void {
    this.closed = true;
    this.stopSweep();
    this.expiringAt.clear();
    this.entries.clear();
    this.kept.clear();
  }

  private forget(key: string): void {
    this.entries.delete(key);
    // Nearly always empty: a cache without token bindings does no more work per dropped entry.
    if (this.kept.size > 0) this.kept.delete(key);
  }

  /** The entry under `key` unless it has expired; an expired one is dropped (its index entry goes with the sweep). */
  private live(key: string): Entry<V> | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.end >= this.elapsed()) return entry;
    this.forget(key);
    return undefined;
  }

  private index(key: string, second: number): number {
    const keys = this.expiringAt.get(second);
    if (keys) keys.push(key);
    else this.expiringAt.set(second, [key]);
    return second;
  }

  private dropExpired(): void {
    if (this.dropping) return;
    const now = this.currentSecond();
    // Walk the seconds since the last check, or the index itself if that is shorter (after a clock
    // jump forward). After a jump backwards the walk starts over from the new now.
    const seconds =
      now - this.checkedUpTo + 1 <= this.expiringAt.size ? range(this.checkedUpTo, now) : [...this.expiringAt.keys()];
    this.checkedUpTo = now + 1;
    const due: (readonly [second: number, keys: string[]])[] = [];
    for (const second of seconds) {
      const keys = second <= now ? this.expiringAt.get(second) : undefined;
      if (keys) {
        due.push([second, keys]);
        this.expiringAt.delete(second);
      }
    }
    if (due.length > 0) {
      this.dropping = true;
      this.dropSlice(due, 0, 0);
    }
  }

  /** Goes through the due seconds' keys, DROP_SLICE of them per turn of the event loop. */
  private dropSlice(due: readonly (readonly [second: number, keys: string[]])[], list: number, from: number): void {
    if (this.closed) return;
    let budget = DROP_SLICE;
    for (; list < due.length; list++, from = 0) {
      const [second, keys] = due[list]!;
      const end = Math.min(keys.length, from + budget);
      for (let i = from; i < end; i++) this.sweep(keys[i]!, second);
      budget -= end - from;
      if (end < keys.length) {
        setImmediate(() => this.dropSlice(due, list, end));
        return;
      }
    }
    this.dropping = false;
  }

  /** `key` came up in the list of `second`: dropped if expired, moved on if stored again with a later end since. */
  private sweep(key: string, second: number): void {
    const entry = this.entries.get(key);
    // Deleted, stored anew, or indexed sooner since: some other list names it now.
    if (entry === undefined || entry.indexedAt !== second) return;
    if (entry.end < this.elapsed()) this.forget(key);
    else entry.indexedAt = this.index(key, this.secondAfter(entry.end));
  }

  /** The clock's time since the epoch, in ms. */
  private elapsed(): number {
    return this.clock.now() - this.epoch;
  }

  private currentSecond(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  /** An entry counts as expired once the clock is past its end: the first whole second (of the clock) past that end. */
  private secondAfter(end: number): number {
    return Math.floor((this.epoch + end) / 1000) + 1;
  }
}

function range(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}
