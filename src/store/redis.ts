import { isDeepStrictEqual } from 'node:util';
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../log.js';
import { memoryStore } from './memory.js';
import { openDropChannel } from './redisDrops.js';
import { missSharing } from './redisMissShare.js';
import { openSubscriber } from './redisSubscriber.js';
import { NearCache } from './nearCache.js';
import { FAILED, guardRedis } from './redisGuard.js';
import { STORE_SCRIPTS } from './redisScripts.js';
import { storeTtlSeconds } from './ttl.js';
import { loadRedisClient } from './redisClient.js';
import { parseRedisUrl, REDIS_URL_FORMS } from '../config/redisUrl.js';
import type { Dropped, NotedAllow, SessionAdmission, Store, StoredValue } from './types.js';

export interface RedisStoreOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`, `rediss://...` (TLS) or `redis+sentinel://...` (see
   * src/config/redisUrl.ts).
   */
  readonly url: string;
  /** No operation holds a caller longer than this; past it a read is a miss and a write is dropped. */
  readonly timeoutMs: number;
  readonly log: Logger;
  /** Bound of the instance's own memory of token bindings, and of its near-cache (default 1,000,000). */
  readonly maxLocalEntries?: number;
  /** How long a value read is kept in the instance's memory (`cache.localTtl`; default 0: not kept). */
  readonly localTtlSeconds?: number;
  /** Epoch ms (injected, so tests drive the near-cache's time). */
  readonly now?: () => number;
}

/** Every key this bridge writes, so a shared Redis can hold other data beside it. */
const KEY_PREFIX = 'iab:';
/** Reconnect attempts back off by this much per attempt, up to the cap, forever. */
const RECONNECT_STEP_MS = 100;
const RECONNECT_MAX_MS = 2000;
/** Keys a flush asks SCAN for per round trip. */
const SCAN_BATCH = 1000;

function isStoredValue(value: unknown): value is StoredValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a bridge stored; anything else under our key was not written by one, and is treated as absent. */
function parseStored(text: string): StoredValue | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isStoredValue(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Where the allows noted under an identity are kept. */
const noteSet = (identity: string) => `i:${identity}`;

/** A note set's member, or nothing when it is not one a bridge wrote. */
function readNote(member: string): NotedAllow[] {
  try {
    const [key, ...identities] = JSON.parse(member) as unknown[];
    if (typeof key !== 'string' || !identities.every((identity) => typeof identity === 'string')) return [];
    return [{ key, identities: identities as string[] }];
  } catch {
    return [];
  }
}

/** SCAN MATCH treats these as wildcards. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** A failed-over primary answers READONLY until the client dials whichever server Sentinel names now. */
const reconnectWhenDemoted = (error: Error) => (/^READONLY/.test(error.message) ? 2 : false);

function connect(url: string, timeoutMs: number): Redis {
  const target = parseRedisUrl(url);
  // The URL itself is not echoed: it may carry a password.
  if (target === undefined) throw new Error(`cache.redisUrl: ${REDIS_URL_FORMS}`);
  const options: RedisOptions = {
    keyPrefix: KEY_PREFIX,
    // Fail fast instead of queueing while disconnected: a viewer must not wait for a reconnect.
    enableOfflineQueue: false,
    // A backstop only: every call is bounded by the guard (redisGuard.ts) at timeoutMs, which lets an
    // answer already received settle first. ioredis's own timer, at the same bound, fired first in a
    // process busy past it and failed the call though its answer had come.
    commandTimeout: Math.max(1000, 4 * timeoutMs),
    maxRetriesPerRequest: 1,
    // Dialling (TLS included) may take longer than a command: no viewer waits on it.
    connectTimeout: Math.max(5000, timeoutMs),
    // A connection that answers nothing for this long is dropped and dialled again.
    socketTimeout: Math.max(5000, 2 * timeoutMs),
    retryStrategy: (attempt) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_MAX_MS),
    scripts: STORE_SCRIPTS,
  };
  const Redis = loadRedisClient();
  if (target.kind === 'server') return new Redis(target.url, options);
  const { sentinels, name, db, username, password } = target;
  return new Redis({
    ...options,
    sentinels: [...sentinels],
    name,
    db,
    username,
    password,
    // After a SENTINEL FAILOVER the old primary keeps taking writes, then discards them, until Sentinel demotes it
    // (seconds later): hearing the sentinels' +switch-master redials the new primary at once. Noticing a failover
    // while dialling ends the client, which redialWhenEnded dials again; a demoted primary's READONLY redials too.
    failoverDetector: true,
    reconnectOnError: reconnectWhenDemoted,
    sentinelRetryStrategy: (attempt) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_MAX_MS),
  });
}

/**
 * A store on a Redis server shared by several bridge instances. It never makes
 * a caller wait longer than `timeoutMs` and never rejects: while Redis is slow,
 * unreachable or refusing writes, decisions are cache misses, and token
 * bindings and session counts are decided by the instance's own memory, which
 * keeps a copy of every binding and admission it made (so a binding made
 * before Redis went away still holds here). The client reconnects by itself.
 */
export function redisStore(options: RedisStoreOptions): Store {
  const { timeoutMs, log } = options;
  const redis = connect(options.url, timeoutMs);
  const now = options.now ?? Date.now;
  const guard = guardRedis(redis, { timeoutMs, log, redialAfterMs: RECONNECT_MAX_MS, now });
  const { attempt } = guard;
  const maxLocalEntries = options.maxLocalEntries ?? 1_000_000;
  const local = memoryStore({ maxEntries: maxLocalEntries });
  const near = new NearCache({
    ttlMs: (options.localTtlSeconds ?? 0) * 1000,
    maxEntries: maxLocalEntries,
    now: options.now,
  });
  const subscriber = openSubscriber(redis, RECONNECT_MAX_MS);
  const drops = openDropChannel(redis, subscriber, log, attempt);
  // A read that was under way when a drop was heard may hold what was dropped: it is not kept.
  let dropsHeard = 0;
  // What another instance dropped is forgotten here too (the keys are dropped from Redis by whoever dropped them).
  drops.onDrop((event) => {
    dropsHeard += 1;
    if (event.kind === 'keys') {
      near.forget(event.keys);
      void local.drop(event);
    } else {
      near.forgetPrefix(event.prefix);
      void local.dropPrefix(event.prefix);
    }
  });
  // Drops announced while this instance cannot hear them would leave revoked answers here.
  subscriber.onDeaf(() => near.clear());
  const keepNear = (key: string, value: StoredValue, lifetimeMs: number, heardBefore: number) => {
    if (subscriber.listening() && dropsHeard === heardBefore) near.keep(key, value, lifetimeMs);
  };

  const read = async (key: string, heardBefore: number): Promise<StoredValue | undefined> => {
    const answer = await attempt(() => redis.getWithTtl(key), 'read');
    // Not in Redis, or no answer: a binding this instance made while Redis refused it is still here.
    if (answer === FAILED || answer[0] === null) return local.get(key);
    const value = parseStored(answer[0]);
    // PTTL -1: a key without expiry, not one a bridge wrote; the near-cache's own bound holds.
    if (value !== undefined) keepNear(key, value, answer[1] < 0 ? Number.POSITIVE_INFINITY : answer[1], heardBefore);
    return value;
  };
  /** A read sent now: what must see every write made before it (a claim lost, a shared miss's stored answer). */
  const readNow = <T extends StoredValue>(key: string) => read(key, dropsHeard) as Promise<T | undefined>;
  // When a near-cached key expires under load, every check of it misses at once: they share one read.
  const reading = new Map<string, { readonly heardBefore: number; readonly value: Promise<StoredValue | undefined> }>();
  const get = <T extends StoredValue>(key: string): Promise<T | undefined> => {
    const kept = near.get(key);
    if (kept !== undefined) return Promise.resolve(kept as T);
    const underway = reading.get(key);
    // A read sent before a drop was heard may hold what was dropped: no check that came after the drop joins it.
    if (underway !== undefined && underway.heardBefore === dropsHeard) return underway.value as Promise<T | undefined>;
    const entry = { heardBefore: dropsHeard, value: read(key, dropsHeard) };
    reading.set(key, entry);
    const done = () => {
      if (reading.get(key) === entry) reading.delete(key);
    };
    // Both ways: `finally` would hand a failed read on as a rejection no one handles.
    entry.value.then(done, done);
    return entry.value as Promise<T | undefined>;
  };
  const sharing = missSharing({ redis, subscriber, attempt, read: readNow, now: options.now });

  return {
    get,
    getNow: <T extends StoredValue>(key: string) => near.get(key) as T | undefined,
    shareMiss: (key, budgetMs, ask) => sharing.share(key, budgetMs, ask),
    announceUnstored: (key, value) => sharing.noteUnstored(key, value),
    async set(key, value, ttlSeconds) {
      const ttl = storeTtlSeconds(ttlSeconds);
      // Before the write is sent: a miss held for this key announces, after it, that it stored its answer.
      sharing.noteStored(key);
      const written = attempt(() => redis.set(key, JSON.stringify(value), 'EX', ttl), 'write');
      // This instance's own answer: kept even while Redis refuses it.
      keepNear(key, value, ttl * 1000, dropsHeard);
      await written;
    },
    async claim<T extends StoredValue>(key: string, value: T, ttlSeconds: number): Promise<T | undefined> {
      // A copy of its own from an outage, held for another value (a token bound to another IP): kept until it
      // expires, whatever Redis (restarted empty, or claimed since by another instance) says now.
      const own = local.getNow!<T>(key);
      if (own !== undefined && !isDeepStrictEqual(own, value)) return own;
      const stored = await attempt(
        () => redis.set(key, JSON.stringify(value), 'EX', storeTtlSeconds(ttlSeconds), 'NX'),
        'write',
      );
      if (stored === FAILED) return local.claim(key, value, ttlSeconds);
      if (stored === 'OK') {
        await local.set(key, value, ttlSeconds);
        return value;
      }
      // Taken: whoever holds it now, if Redis says.
      return readNow<T>(key);
    },
    async admitSession(request: SessionAdmission) {
      const idleMs = storeTtlSeconds(request.idleTtlSeconds) * 1000;
      const admit = () =>
        redis.admitSession(`sessions:${request.user}`, request.session, idleMs, request.limit, request.unique ? 1 : 0);
      const answer = await attempt(admit, 'script');
      // Without Redis the instance counts what it has seen itself: the limit holds at least per instance.
      if (answer === FAILED) return local.admitSession(request);
      if (answer !== 1) return false;
      await local.admitSession({ ...request, limit: Number.POSITIVE_INFINITY });
      return true;
    },
    async releaseSession(user, session) {
      // ZREM alone is atomic; other instances' own copies only decide while Redis cannot, and age out by idleTtl.
      await Promise.all([
        attempt(() => redis.zrem(`sessions:${user}`, session), 'write'),
        local.releaseSession(user, session),
      ]);
    },
    async noteAllow(key, identities, ttlSeconds) {
      if (identities.length === 0) return;
      // Each member names the allow and all its identities, so whoever finds it by one knows the others.
      const member = JSON.stringify([key, ...identities]);
      const sets = identities.map(noteSet);
      await attempt(() => redis.addToSets(sets.length, ...sets, storeTtlSeconds(ttlSeconds) * 1000, member), 'script');
    },
    async notedUnder(identity) {
      const members = await attempt(() => redis.smembers(noteSet(identity)), 'read');
      if (members !== FAILED) return members.flatMap(readNote);
      // A revoke that cannot learn the identity's allows still drops what this instance holds (README "Revoke and
      // flush"): which near-cached entries are that viewer's only Redis knows, so they all go. Left, a revoked viewer
      // kept being allowed here for up to cache.localTtl.
      near.clear();
      return undefined;
    },
    async drop(what): Promise<Dropped | undefined> {
      near.forget(what.keys);
      const sessionKeys = what.sessionsOf.map((user) => `sessions:${user}`);
      const counts = await attempt(
        () => redis.dropKeys(what.keys.length + sessionKeys.length, ...what.keys, ...sessionKeys),
        'script',
      );
      const forgotten = await local.drop(what);
      const told = await drops.publish({ kind: 'keys', keys: what.keys, sessionsOf: what.sessionsOf });
      if (counts === FAILED || !told) return undefined;
      const held = (index: number) => (counts[index] ?? 0) > 0 || forgotten?.keys.includes(what.keys[index]!);
      const sessions = counts.slice(what.keys.length).reduce((sum, count) => sum + count, 0);
      return {
        keys: what.keys.filter((_, index) => held(index)),
        sessions: Math.max(sessions, forgotten?.sessions ?? 0),
      };
    },
    async dropPrefix(prefix) {
      near.forgetPrefix(prefix);
      let dropped = 0;
      let cursor = '0';
      do {
        const page = await attempt(
          () => redis.scan(cursor, 'MATCH', `${KEY_PREFIX}${globEscape(prefix)}*`, 'COUNT', SCAN_BATCH),
          'read',
        );
        if (page === FAILED) return undefined;
        cursor = page[0];
        // SCAN answers the keys as stored; the client adds the prefix to what it is given.
        const keys = page[1].map((key) => key.slice(KEY_PREFIX.length));
        if (keys.length > 0) {
          const unlinked = await attempt(() => redis.unlink(...keys), 'write');
          if (unlinked === FAILED) return undefined;
          dropped += unlinked;
        }
      } while (cursor !== '0');
      await local.dropPrefix(prefix);
      return (await drops.publish({ kind: 'prefix', prefix })) ? dropped : undefined;
    },
    onDrop: (listener) => drops.onDrop(listener),
    health: () => guard.health(),
    async close() {
      if (!(await guard.close())) return;
      drops.close();
      subscriber.close();
      near.clear();
      await local.close();
      redis.disconnect();
    },
  };
}
