import { type Clock, systemClock } from '../clock.js';
import { ExpiringCache } from './expiringCache.js';
import { storeTtlSeconds } from './ttl.js';
import type {
  DropEvent,
  Dropped,
  Dropping,
  NotedAllow,
  SessionAdmission,
  Store,
  StoredValue,
  StoreHealth,
} from './types.js';

export interface MemoryStoreOptions {
  /** Past this many entries new keys are not stored (the decision is still answered, just not cached). */
  readonly maxEntries: number;
  /** What entries expire and sessions go idle by. */
  readonly clock?: Clock;
}

/** Sessions seen per user: session id → last seen (ms since epoch). */
type UserSessions = Map<string, number>;

/** Notes looked through per turn of the event loop when finding a viewer's allows: a revoke never stalls checks. */
const SCAN_SLICE = 10_000;

/** The embedded store: one process, nothing shared. Also each Redis store's memory of its own bindings and sessions. */
export function memoryStore(options: MemoryStoreOptions): Store {
  const clock = options.clock ?? systemClock;
  // Whose each cached allow is, noted with its entry: its identities as one text, one a line (identities
  // hold no line break), the cheapest form a million of them can take (no set per viewer, no map of notes).
  // Found by looking through them all, in slices.
  const values = new ExpiringCache<StoredValue>(options.maxEntries, clock);
  // A user's entry lives idleTtl past their last admission, so users who stop watching are forgotten.
  const sessionsByUser = new ExpiringCache<UserSessions>(-1, clock);
  const listeners = new Set<(event: DropEvent) => void>();

  function admit(request: SessionAdmission): boolean {
    const now = clock.now();
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

  function release(user: string, session: string): void {
    const sessions = sessionsByUser.get(user);
    if (!sessions?.delete(session) || sessions.size > 0) return;
    sessionsByUser.delete(user);
  }

  async function notedUnder(identity: string): Promise<NotedAllow[]> {
    const found: NotedAllow[] = [];
    let seen = 0;
    for (const [key, note] of values.notes()) {
      const identities = note.includes(identity) ? note.split('\n') : undefined;
      if (identities?.includes(identity)) found.push({ key, identities });
      if (++seen % SCAN_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return found;
  }

  function drop({ keys, sessionsOf }: Dropping): Dropped {
    const dropped = keys.filter((key) => {
      const held = values.get(key) !== undefined;
      values.delete(key);
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
    getNow: <T extends StoredValue>(key: string) => values.get(key) as T | undefined,
    async set(key, value, ttlSeconds) {
      values.set(key, value, storeTtlSeconds(ttlSeconds));
    },
    async claim<T extends StoredValue>(key: string, value: T, ttlSeconds: number) {
      const held = values.get(key) as T | undefined;
      if (held !== undefined) return held;
      // A claim (a token's binding) is always kept: a full store makes room by dropping its oldest entry,
      // where not keeping it would let the token in from any IP without a word.
      values.setMakingRoom(key, value, storeTtlSeconds(ttlSeconds));
      return value;
    },
    admitSession: async (request) => admit(request),
    admitSessionNow: admit,
    releaseSession: async (user, session) => release(user, session),
    async noteAllow(key, identities) {
      // The note goes with the entry (dropped with it, or when it expires); nothing when it is not cached.
      values.note(key, identities.join('\n'));
    },
    notedUnder,
    drop: async (what) => drop(what),
    async dropAllows(keys) {
      const allows = keys.filter((key) => (values.get(key) as { allow?: unknown } | undefined)?.allow === true);
      if (allows.length > 0) drop({ keys: allows, sessionsOf: [] });
    },
    dropPrefix: async (prefix) => dropPrefix(prefix),
    onDrop(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    health(): StoreHealth {
      const entries = values.size;
      const full =
        entries >= options.maxEntries
          ? ' (full: new decisions are not cached until older ones expire; a token binding makes room)'
          : '';
      return { store: 'memory', ok: true, entries, detail: `${entries} of ${options.maxEntries} entries${full}` };
    },
    async close() {
      listeners.clear();
      values.close();
      sessionsByUser.close();
    },
  };
}
