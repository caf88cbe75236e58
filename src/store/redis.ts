import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { maskOccurrences } from '../secrets.js';
import { memoryStore } from './memory.js';
import { openDropChannel } from './redisDrops.js';
import { STORE_SCRIPTS } from './redisScripts.js';
import { storeTtlSeconds } from './ttl.js';
import type { Dropped, NotedAllow, SessionAdmission, Store, StoredValue, StoreHealth } from './types.js';

export interface RedisStoreOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://...` (TLS). */
  readonly url: string;
  /** No operation holds a caller longer than this; past it a read is a miss and a write is dropped. */
  readonly timeoutMs: number;
  readonly log: Logger;
  /** Bound of the instance's own memory of token bindings (default 1,000,000). */
  readonly maxLocalEntries?: number;
}

/** Every key this bridge writes, so a shared Redis can hold other data beside it. */
const KEY_PREFIX = 'iab:';
/** Reconnect attempts back off by this much per attempt, up to the cap, forever. */
const RECONNECT_STEP_MS = 100;
const RECONNECT_MAX_MS = 2000;
/** What Redis answers is shown in /healthz and the log; a hostile or broken server could answer anything. */
const MAX_REASON_CHARS = 200;
/** Keys a flush asks SCAN for per round trip. */
const SCAN_BATCH = 1000;

/** A Redis operation that did not answer: refused, timed out, or not sent. */
const FAILED = Symbol('failed');
type Answer<T> = T | typeof FAILED;

type Connection =
  | { readonly state: 'connecting' }
  | { readonly state: 'up' }
  | { readonly state: 'down'; readonly since: Date; readonly reason: string }
  | { readonly state: 'closed' };

/** Why Redis did not do what it was asked while connected: silent (timeouts), or refusing writes (OOM, READONLY). */
interface Trouble {
  readonly since: Date;
  readonly reason: string;
}

/** Settles with `fallback` on any failure, and after `ms` at the latest. */
function withFallback<T>(operation: () => Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    let pending: Promise<T>;
    try {
      pending = operation();
    } catch {
      pending = Promise.resolve(fallback);
    }
    pending.then(
      (value) => resolve(value),
      () => resolve(fallback),
    ).finally(() => clearTimeout(timer));
  });
}

function isStoredValue(value: unknown): value is StoredValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An error Redis itself answered (`OOM command not allowed ...`, `READONLY ...`), as opposed to a timeout or a closed socket. */
function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/** The client's own `commandTimeout` fired: Redis said nothing. */
function isTimeout(error: unknown): boolean {
  return error instanceof Error && /timed out/i.test(error.message);
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

function connect(url: string, timeoutMs: number): Redis {
  try {
    return new Redis(url, {
      keyPrefix: KEY_PREFIX,
      // Fail fast instead of queueing while disconnected: a viewer must not wait for a reconnect.
      enableOfflineQueue: false,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      // Dialling (TLS included) may take longer than a command: no viewer waits on it.
      connectTimeout: Math.max(5000, timeoutMs),
      // A connection that answers nothing for this long is dropped and dialled again.
      socketTimeout: Math.max(5000, 2 * timeoutMs),
      retryStrategy: (attempt) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_MAX_MS),
      scripts: STORE_SCRIPTS,
    });
  } catch {
    // The URL itself is not echoed: it may carry a password.
    throw new Error('cache.redisUrl: not a valid redis:// or rediss:// URL');
  }
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
  const { host, port, db, tls, password } = redis.options;
  // Built from the parsed options, so no credential can be part of it.
  const target = `${tls ? 'rediss' : 'redis'}://${host}:${port}/${db ?? 0}`;
  const local = memoryStore({ maxEntries: options.maxLocalEntries ?? 1_000_000 });
  const drops = openDropChannel(redis, log);
  // What another instance dropped is forgotten here too (the keys are dropped from Redis by whoever dropped them).
  drops.onDrop((event) => {
    if (event.kind === 'keys') void local.drop(event);
    else void local.dropPrefix(event.prefix);
  });
  let connection: Connection = { state: 'connecting' };
  let everConnected = false;
  let lastError: string | undefined;

  const scrub = (text: string) => maskOccurrences(text, password ? [password] : []).slice(0, MAX_REASON_CHARS);
  // Redis connects even when SELECT fails, and would then serve db 0, perhaps someone else's: use none.
  let wrongDb: string | undefined;
  // A stalled server keeps the connection up for seconds before the client notices; its silence shows at once.
  let silent: Trouble | undefined;
  // Reads may go on while writes are refused (maxmemory with noeviction, a read-only replica).
  let refusingWrites: Trouble | undefined;

  function noteRefusal(error: Error): void {
    const reason = scrub(error.message);
    if (refusingWrites?.reason === reason) return;
    refusingWrites = { since: new Date(), reason };
    log.warn('redis store refusing writes: decisions not cached, token bindings and session counts kept in this instance', { store: target, reason });
  }

  // While writes are refused a cached load may write nothing for a long time: health asks Redis itself whether that is over.
  let probing = false;
  function probeWrites(): void {
    if (probing) return;
    probing = true;
    void attempt(() => redis.set('probe', '1', 'EX', 1), 'write').finally(() => (probing = false));
  }

  /**
   * Runs one Redis operation within `timeoutMs`; FAILED when it did not answer, and health learns why.
   * A refused `write` or `script` shows Redis refusing writes; only a plain write that succeeds shows
   * it takes them again: Redis lets a script that has already written (a DEL, say) go on when full.
   */
  function attempt<T>(operation: () => Promise<T>, kind: 'read' | 'write' | 'script'): Promise<Answer<T>> {
    if (wrongDb !== undefined) return Promise.resolve(FAILED);
    let answered = false;
    const answering = () =>
      operation().then(
        (value) => {
          answered = true;
          silent = undefined;
          if (kind === 'write' && refusingWrites) {
            log.info('redis store accepting writes again', { store: target });
            refusingWrites = undefined;
          }
          return value;
        },
        (error: unknown) => {
          // Only silence is a timeout; a closed connection is reported by the connection's own state.
          if (!isTimeout(error)) answered = true;
          if (isReplyError(error)) {
            silent = undefined;
            if (kind !== 'read') noteRefusal(error);
          }
          throw error;
        },
      );
    return withFallback<Answer<T>>(answering, timeoutMs, FAILED).then((value) => {
      if (!answered && connection.state === 'up') silent ??= { since: new Date(), reason: `not answering within ${timeoutMs} ms` };
      return value;
    });
  }

  // State changes are logged once each; the client reports every failed attempt, the log does not.
  redis.on('error', (error: Error & { code?: string }) => {
    lastError = scrub(error.code ?? error.message);
    if (/DB index is out of range/i.test(error.message)) wrongDb = `db ${db ?? 0} does not exist on the server (cache.redisUrl)`;
    if (connection.state === 'connecting') {
      connection = { state: 'down', since: new Date(), reason: lastError };
      log.warn('redis store unreachable: answering as cache misses until it is back', { store: target, reason: lastError });
    } else if (connection.state === 'down') {
      connection = { ...connection, reason: lastError };
    }
  });
  redis.on('ready', () => {
    if (connection.state === 'closed') return;
    if (wrongDb !== undefined) {
      connection = { state: 'down', since: new Date(), reason: wrongDb };
      log.error('redis store not used: answering as cache misses', { store: target, reason: wrongDb });
      return;
    }
    log.info(everConnected ? 'redis store reconnected' : 'redis store connected', { store: target });
    silent = undefined;
    everConnected = true;
    lastError = undefined;
    connection = { state: 'up' };
  });
  redis.on('close', () => {
    if (connection.state !== 'up') return;
    const reason = lastError ?? 'connection closed';
    connection = { state: 'down', since: new Date(), reason };
    log.warn('redis store connection lost: answering as cache misses until it is back', { store: target, reason });
  });

  const get = async <T extends StoredValue>(key: string): Promise<T | undefined> => {
    const text = await attempt(() => redis.get(key), 'read');
    // Not in Redis, or no answer: a binding this instance made while Redis refused it is still here.
    if (text === FAILED || text === null) return local.get<T>(key);
    try {
      const value: unknown = JSON.parse(text);
      // Anything else under our key was not written by a bridge: treat it as absent.
      return isStoredValue(value) ? (value as T) : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    get,
    async set(key, value, ttlSeconds) {
      await attempt(() => redis.set(key, JSON.stringify(value), 'EX', storeTtlSeconds(ttlSeconds)), 'write');
    },
    async claim<T extends StoredValue>(key: string, value: T, ttlSeconds: number): Promise<T | undefined> {
      const stored = await attempt(() => redis.set(key, JSON.stringify(value), 'EX', storeTtlSeconds(ttlSeconds), 'NX'), 'write');
      if (stored === FAILED) return local.claim(key, value, ttlSeconds);
      if (stored === 'OK') {
        await local.set(key, value, ttlSeconds);
        return value;
      }
      // Taken: whoever holds it now, if Redis says.
      return get<T>(key);
    },
    async admitSession(request: SessionAdmission) {
      const idleMs = storeTtlSeconds(request.idleTtlSeconds) * 1000;
      const admit = () => redis.admitSession(`sessions:${request.user}`, request.session, idleMs, request.limit, request.unique ? 1 : 0);
      const answer = await attempt(admit, 'script');
      // Without Redis the instance counts what it has seen itself: the limit holds at least per instance.
      if (answer === FAILED) return local.admitSession(request);
      if (answer !== 1) return false;
      await local.admitSession({ ...request, limit: Number.POSITIVE_INFINITY });
      return true;
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
      return members === FAILED ? undefined : members.flatMap(readNote);
    },
    async drop(what): Promise<Dropped | undefined> {
      const sessionKeys = what.sessionsOf.map((user) => `sessions:${user}`);
      const counts = await attempt(() => redis.dropKeys(what.keys.length + sessionKeys.length, ...what.keys, ...sessionKeys), 'script');
      const forgotten = await local.drop(what);
      const told = await drops.publish({ kind: 'keys', keys: what.keys, sessionsOf: what.sessionsOf });
      if (counts === FAILED || !told) return undefined;
      const held = (index: number) => (counts[index] ?? 0) > 0 || forgotten?.keys.includes(what.keys[index]!);
      const sessions = counts.slice(what.keys.length).reduce((sum, count) => sum + count, 0);
      return { keys: what.keys.filter((_, index) => held(index)), sessions: Math.max(sessions, forgotten?.sessions ?? 0) };
    },
    async dropPrefix(prefix) {
      let dropped = 0;
      let cursor = '0';
      do {
        const page = await attempt(() => redis.scan(cursor, 'MATCH', `${KEY_PREFIX}${globEscape(prefix)}*`, 'COUNT', SCAN_BATCH), 'read');
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
    health(): StoreHealth {
      switch (connection.state) {
        case 'up':
          if (silent) return { store: 'redis', ok: false, detail: `${target} ${silent.reason} since ${silent.since.toISOString()}` };
          if (refusingWrites) {
            probeWrites();
            return { store: 'redis', ok: false, detail: `${target} refusing writes since ${refusingWrites.since.toISOString()}: ${refusingWrites.reason}` };
          }
          return { store: 'redis', ok: true, detail: `connected to ${target}` };
        case 'down':
          return { store: 'redis', ok: false, detail: `${target} unreachable since ${connection.since.toISOString()}: ${connection.reason}` };
        case 'connecting':
          return { store: 'redis', ok: false, detail: `connecting to ${target}` };
        case 'closed':
          return { store: 'redis', ok: false, detail: 'closed' };
      }
    },
    async close() {
      if (connection.state === 'closed') return;
      const wasUp = connection.state === 'up';
      connection = { state: 'closed' };
      drops.close();
      await local.close();
      if (wasUp) await withFallback(() => redis.quit(), timeoutMs, undefined);
      redis.disconnect();
    },
  };
}
