/**
 * Where the bridge keeps what outlives one request: cached decisions, token
 * bindings and session counts. `memory` is one process; `redis` is shared by
 * every bridge instance pointed at it.
 *
 * A store never makes a viewer wait long and never rejects: when it cannot
 * answer in time (Redis down, slow, reconnecting) reads are misses, writes are
 * dropped and `admitSession` lets the viewer in, and `health()` says why.
 */
export interface Store {
  /** The value stored under `key`, or undefined (absent, expired, or the store is unavailable). */
  get<T extends StoredValue>(key: string): Promise<T | undefined>;
  /** Stores `value` under `key` for `ttlSeconds` (at least 1). */
  set(key: string, value: StoredValue, ttlSeconds: number): Promise<void>;
  /**
   * Stores `value` under `key` unless the key already holds one, atomically
   * (across instances on Redis); resolves with whichever value holds now, or
   * undefined when the store cannot answer.
   */
  claim<T extends StoredValue>(key: string, value: T, ttlSeconds: number): Promise<T | undefined>;
  /**
   * Connection limits: counts `session` as active for `user` unless that would
   * exceed `limit` distinct sessions seen within the last `idleTtlSeconds`.
   * A session already counted is always admitted (and its time refreshed).
   * With `unique`, the newest session replaces every older one instead.
   */
  admitSession(request: SessionAdmission): Promise<boolean>;
  health(): StoreHealth;
  close(): Promise<void>;
}

/** Plain JSON data, so the Redis store can serialize what the memory store keeps as is. */
export type StoredValue = { readonly [key: string]: string | number | boolean | undefined };

export interface SessionAdmission {
  readonly user: string;
  readonly session: string;
  readonly limit: number;
  readonly idleTtlSeconds: number;
  readonly unique: boolean;
}

export interface StoreHealth {
  readonly store: 'memory' | 'redis';
  /** False while the store cannot answer (the bridge then answers as if nothing were cached). */
  readonly ok: boolean;
  readonly entries?: number;
  readonly detail?: string;
}
