/**
 * Where the bridge keeps what outlives one request: cached decisions, token
 * bindings and session counts. `memory` is one process; `redis` is shared by
 * every bridge instance pointed at it.
 *
 * A store never makes a viewer wait long and never rejects: when it cannot
 * answer in time (Redis down, slow, reconnecting) reads are misses and
 * decisions are not cached, while token bindings and session counts are kept
 * in the instance's own memory; `health()` says why.
 */
export interface Store {
  /** The value stored under `key`, or undefined (absent, expired, or the store is unavailable). */
  get<T extends StoredValue>(key: string): Promise<T | undefined>;
  /**
   * The value under `key` when this process holds it now (the memory store, a near-cache), without
   * waiting; undefined when it does not, which is not to say the shared store holds nothing (ask `get`).
   * Absent on a store that always has to ask elsewhere.
   */
  getNow?<T extends StoredValue>(key: string): T | undefined;
  /**
   * Identical misses on every instance sharing the store make one request: the first caller runs
   * `ask` and the store announces when it has stored the answer under `key`; the others wait for
   * that (at most `budgetMs`, what is left of the check's budget) and get the stored value, else run
   * `ask` themselves (with what the wait left). Stores shared by
   * nothing leave it out (the instance's own coalescing suffices).
   */
  shareMiss?<T extends StoredValue, R>(key: string, budgetMs: number, ask: () => Promise<R>): Promise<SharedMiss<T, R>>;
  /**
   * A miss this instance holds (`shareMiss`) ended with `value`, which is not stored (a deny with `denyTtl: 0`): the
   * instances waiting on it get it with the announcement, as this instance's own waiters get it, instead of asking
   * again as though the holder had failed. Stores that share no misses leave it out.
   */
  announceUnstored?(key: string, value: StoredValue): void;
  /** Stores `value` under `key` for `ttlSeconds` (at least 1). */
  set(key: string, value: StoredValue, ttlSeconds: number): Promise<void>;
  /**
   * Stores `value` under `key` unless the key already holds one, atomically
   * (across instances on Redis); resolves with whichever value holds now.
   * Kept in the instance's memory as well, so it holds there when Redis does not.
   */
  claim<T extends StoredValue>(key: string, value: T, ttlSeconds: number): Promise<T | undefined>;
  /**
   * Connection limits: counts `session` as active for `user` unless that would
   * exceed `limit` distinct sessions seen within the last `idleTtlSeconds`.
   * A session already counted is always admitted (and its time refreshed).
   * With `unique`, the newest session replaces every older one instead.
   */
  admitSession(request: SessionAdmission): Promise<boolean>;
  /** `admitSession` without waiting, on a store whose counts live in this process alone (memory). */
  admitSessionNow?(request: SessionAdmission): boolean;
  /**
   * Stops counting `session` for `user` (the viewing session ended), so its slot is free before
   * `idleTtl`. Never rejects; a session not counted is nothing to do.
   */
  releaseSession(user: string, session: string): Promise<void>;
  /**
   * Notes that the cached allow under `key` belongs to each of `identities` (`t:<token digest>`,
   * `l:<login>`, `u:<user id>`; none holds a line break), for as long as it lives, so it can be found again by any of
   * them.
   */
  noteAllow(key: string, identities: readonly string[], ttlSeconds: number): Promise<void>;
  /** The cached allows noted under `identity`; undefined when the store cannot answer. */
  notedUnder(identity: string): Promise<readonly NotedAllow[] | undefined>;
  /**
   * Drops `keys` (values and index sets) and the counted sessions of `sessionsOf`, in the store and
   * in the memory of every instance sharing it. Undefined when the shared store could not answer.
   */
  drop(what: Dropping): Promise<Dropped | undefined>;
  /** Drops every key starting with `prefix`, as `drop` does; resolves with how many, or undefined. */
  dropPrefix(prefix: string): Promise<number | undefined>;
  /** Hears every drop made by any instance sharing the store (this one included); returns an unsubscribe. */
  onDrop(listener: (event: DropEvent) => void): () => void;
  health(): StoreHealth;
  close(): Promise<void>;
  /**
   * Drops each of `keys` where it holds an allow, and nothing else: in this process, and under `serve --workers` on the
   * memory store in every worker's own cache, which another worker cannot read. Left out where the store's reads are
   * the shared view (Redis): a deny drops the allow it read there.
   */
  dropAllows?(keys: readonly string[]): Promise<void>;
}

/**
 * What `shareMiss` ends with: what this caller's `ask` answered, the value another instance stored, or the answer
 * another instance announced without storing it (`announceUnstored`), which holds for this miss alone.
 */
export type SharedMiss<T, R> = { readonly asked: R } | { readonly stored: T } | { readonly announced: T };

/**
 * Plain JSON data, so the Redis store can serialize what the memory store keeps as is. A value with
 * a numeric `freshUntil` (epoch ms) is kept in a near-cache no longer than that.
 */
export type StoredValue = { readonly [key: string]: string | number | boolean | undefined };

export interface SessionAdmission {
  readonly user: string;
  readonly session: string;
  readonly limit: number;
  readonly idleTtlSeconds: number;
  readonly unique: boolean;
}

export interface NotedAllow {
  readonly key: string;
  /** Every identity the allow was noted under. */
  readonly identities: readonly string[];
}

export interface Dropping {
  readonly keys: readonly string[];
  /** Users (`local:<login>`, `backend:<X-UserId>`) whose counted sessions are forgotten. */
  readonly sessionsOf: readonly string[];
}

export interface Dropped {
  /** Which of the keys held something. */
  readonly keys: readonly string[];
  /** How many counted sessions were forgotten. */
  readonly sessions: number;
}

/**
 * What every instance hears after a drop, so it can forget in-process copies too. Holds no secret: keys are digests.
 */
export type DropEvent =
  | { readonly kind: 'keys'; readonly keys: readonly string[]; readonly sessionsOf: readonly string[] }
  | { readonly kind: 'prefix'; readonly prefix: string };

export interface StoreHealth {
  readonly store: 'memory' | 'redis';
  /** False while the store cannot answer or refuses writes (the bridge then answers as if nothing were cached). */
  readonly ok: boolean;
  readonly entries?: number;
  readonly detail?: string;
}
