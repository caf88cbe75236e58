import { ExpiringCache } from './expiringCache.js';
import { storeTtlSeconds } from './ttl.js';
import type { DropEvent, Dropped, Dropping, SessionAdmission, Store, StoredValue, StoreHealth } from './types.js';

export interface MemoryStoreOptions {
  /** Past this many entries new keys are not stored (the decision is still answered, just not cached). */
  readonly maxEntries: number;
}

/** Sessions seen per user: session id → last seen (ms since epoch). */
type UserSessions = Map<string, number>;

/** An index set and when it may go (ms since epoch): it lives as long as its longest-lived member. */
interface IndexSet {
  readonly members: Set<string>;
  endMs: number;
}

/** The embedded store: one process, nothing shared. Also each Redis store's memory of its own bindings and sessions. */
export function memoryStore(options: MemoryStoreOptions): Store {
  const values = new ExpiringCache<StoredValue>(options.maxEntries);
  const indexes = new ExpiringCache<IndexSet>(options.maxEntries);
  // A user's entry lives idleTtl past their last admission, so users who stop watching are forgotten.
  const sessionsByUser = new ExpiringCache<UserSessions>(-1);
  const listeners = new Set<(event: DropEvent) => void>();

  function admit(request: SessionAdmission): boolean {
    const now = Date.now();
    const idleTtlSeconds = storeTtlSeconds(request.idleTtlSeconds);
    const sessions = sessionsByUser.get(request.user) ?? new Map<string, number>();
    for (const [session, lastSeen] of sessions) {
      if (now - lastSeen > idleTtlSeconds * 1000) sessions.delete(session);
    }
    let admitted = true;
    if (sessions.has(request.session)) {
      sessions.set(request.session, now);
    } else if (request.unique) {
      sessions.clear();
      sessions.set(request.session, now);
    } else if (sessions.size < request.limit) {
      sessions.set(request.session, now);
    } else {
      admitted = false;
    }
    if (sessions.size === 0) sessionsByUser.delete(request.user);
    else sessionsByUser.set(request.user, sessions, idleTtlSeconds);
    return admitted;
  }

  function addToIndex(key: string, members: readonly string[], ttlSeconds: number): void {
    const endMs = Date.now() + storeTtlSeconds(ttlSeconds) * 1000;
    const held = indexes.get(key);
    if (held) {
      for (const member of members) held.members.add(member);
      if (endMs <= held.endMs) return;
      held.endMs = endMs;
      indexes.set(key, held, storeTtlSeconds(ttlSeconds));
    } else {
      indexes.set(key, { members: new Set(members), endMs }, storeTtlSeconds(ttlSeconds));
    }
  }

  function drop({ keys, sessionsOf }: Dropping): Dropped {
    const dropped = keys.filter((key) => {
      const held = values.get(key) !== undefined || indexes.get(key) !== undefined;
      values.delete(key);
      indexes.delete(key);
      return held;
    });
    let sessions = 0;
    for (const user of sessionsOf) {
      sessions += sessionsByUser.get(user)?.size ?? 0;
      sessionsByUser.delete(user);
    }
    tell({ kind: 'keys', keys, sessionsOf });
    return { keys: dropped, sessions };
  }

  function dropPrefix(prefix: string): number {
    let dropped = 0;
    for (const key of values.keys()) {
      if (!key.startsWith(prefix)) continue;
      if (values.get(key) !== undefined) dropped += 1;
      values.delete(key);
    }
    tell({ kind: 'prefix', prefix });
    return dropped;
  }

  function tell(event: DropEvent): void {
    for (const listener of listeners) listener(event);
  }

  return {
    get: async <T extends StoredValue>(key: string) => values.get(key) as T | undefined,
    async set(key, value, ttlSeconds) {
      values.set(key, value, storeTtlSeconds(ttlSeconds));
    },
    async claim<T extends StoredValue>(key: string, value: T, ttlSeconds: number) {
      const held = values.get(key) as T | undefined;
      if (held !== undefined) return held;
      return values.set(key, value, storeTtlSeconds(ttlSeconds)) ? value : undefined;
    },
    admitSession: async (request) => admit(request),
    addToIndex: async (key, members, ttlSeconds) => addToIndex(key, members, ttlSeconds),
    readIndex: async (key) => [...(indexes.get(key)?.members ?? [])],
    drop: async (what) => drop(what),
    dropPrefix: async (prefix) => dropPrefix(prefix),
    onDrop(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    health(): StoreHealth {
      const entries = values.size;
      const full = entries >= options.maxEntries ? ' (full: new decisions are not cached until older ones expire)' : '';
      return { store: 'memory', ok: true, entries, detail: `${entries} of ${options.maxEntries} entries${full}` };
    },
    async close() {
      listeners.clear();
      values.close();
      indexes.close();
      sessionsByUser.close();
    },
  };
}
