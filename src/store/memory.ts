import { ExpiringCache } from './expiringCache.js';
import { storeTtlSeconds } from './ttl.js';
import type { SessionAdmission, Store, StoredValue, StoreHealth } from './types.js';

export interface MemoryStoreOptions {
  /** Past this many entries new keys are not stored (the decision is still answered, just not cached). */
  readonly maxEntries: number;
}

/** Sessions seen per user: session id → last seen (ms since epoch). */
type UserSessions = Map<string, number>;

/** The embedded store: one process, nothing shared. */
export function memoryStore(options: MemoryStoreOptions): Store {
  const decisions = new ExpiringCache<StoredValue>(options.maxEntries);
  // A user's entry lives idleTtl past their last admission, so users who stop watching are forgotten.
  const sessionsByUser = new ExpiringCache<UserSessions>(-1);

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

  return {
    get: async <T extends StoredValue>(key: string) => decisions.get(key) as T | undefined,
    async set(key, value, ttlSeconds) {
      decisions.set(key, value, storeTtlSeconds(ttlSeconds));
    },
    async claim<T extends StoredValue>(key: string, value: T, ttlSeconds: number) {
      const held = decisions.get(key) as T | undefined;
      if (held !== undefined) return held;
      return decisions.set(key, value, storeTtlSeconds(ttlSeconds)) ? value : undefined;
    },
    admitSession: async (request) => admit(request),
    health(): StoreHealth {
      const entries = decisions.size;
      const full = entries >= options.maxEntries ? ' (full: new decisions are not cached until older ones expire)' : '';
      return { store: 'memory', ok: true, entries, detail: `${entries} of ${options.maxEntries} entries${full}` };
    },
    async close() {
      decisions.close();
      sessionsByUser.close();
    },
  };
}
