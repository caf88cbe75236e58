import { Redis, type Result } from 'ioredis';
import type { Logger } from '../log.js';
import { maskOccurrences } from '../secrets.js';
import { storeTtlSeconds } from './ttl.js';
import type { SessionAdmission, Store, StoredValue, StoreHealth } from './types.js';

export interface RedisStoreOptions {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://...` (TLS). */
  readonly url: string;
  /** No operation holds a caller longer than this; past it a read is a miss and a write is dropped. */
  readonly timeoutMs: number;
  readonly log: Logger;
}

/** Every key this bridge writes, so a shared Redis can hold other data beside it. */
const KEY_PREFIX = 'iab:';
/** Reconnect attempts back off by this much per attempt, up to the cap, forever. */
const RECONNECT_STEP_MS = 100;
const RECONNECT_MAX_MS = 2000;

/**
 * Connection limits, atomic across every instance sharing the server. KEYS[1] is
 * a sorted set of the user's sessions scored by when each was last seen (the
 * server's clock, so instances with skewed clocks agree). ARGV: session,
 * idle milliseconds, limit, unique (1/0). Returns 1 when admitted, else 0.
 */
const ADMIT_SESSION_LUA = `
local key = KEYS[1]
local idleMs = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - idleMs))
local admitted = 0
if redis.call('ZSCORE', key, ARGV[1]) then
  admitted = 1
elseif ARGV[4] == '1' then
  redis.call('DEL', key)
  admitted = 1
elseif redis.call('ZCARD', key) < tonumber(ARGV[3]) then
  admitted = 1
end
if admitted == 1 then
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, idleMs)
end
return admitted
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    admitSession(key: string, session: string, idleMs: number, limit: number, unique: 0 | 1): Result<number, Context>;
  }
}

type Connection =
  | { readonly state: 'connecting' }
  | { readonly state: 'up' }
  | { readonly state: 'down'; readonly since: Date; readonly reason: string }
  | { readonly state: 'closed' };

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
      scripts: { admitSession: { lua: ADMIT_SESSION_LUA, numberOfKeys: 1 } },
    });
  } catch {
    // The URL itself is not echoed: it may carry a password.
    throw new Error('cache.redisUrl: not a valid redis:// or rediss:// URL');
  }
}

/**
 * A store on a Redis server shared by several bridge instances. It never makes
 * a caller wait longer than `timeoutMs` and never rejects: while Redis is slow
 * or unreachable reads are misses, writes are dropped and `admitSession`
 * admits, and the client reconnects by itself.
 */
export function redisStore(options: RedisStoreOptions): Store {
  const { timeoutMs, log } = options;
  const redis = connect(options.url, timeoutMs);
  const { host, port, db, tls, password } = redis.options;
  // Built from the parsed options, so no credential can be part of it.
  const target = `${tls ? 'rediss' : 'redis'}://${host}:${port}/${db ?? 0}`;
  let connection: Connection = { state: 'connecting' };
  let everConnected = false;
  let lastError: string | undefined;

  const scrub = (text: string) => maskOccurrences(text, password ? [password] : []);
  // Redis connects even when SELECT fails, and would then serve db 0, perhaps someone else's: use none.
  let wrongDb: string | undefined;
  // A stalled server keeps the connection up for seconds before the client notices; its silence shows at once.
  let silentSince: Date | undefined;
  const use = <T>(operation: () => Promise<T>, fallback: T): Promise<T> => {
    if (wrongDb !== undefined) return Promise.resolve(fallback);
    let answered = false;
    const answering = () =>
      operation().then((value) => {
        answered = true;
        silentSince = undefined;
        return value;
      });
    return withFallback(answering, timeoutMs, fallback).then((value) => {
      if (!answered && connection.state === 'up') silentSince ??= new Date();
      return value;
    });
  };

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
    silentSince = undefined;
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
    const text = await use(() => redis.get(key), null);
    if (text === null) return undefined;
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
      await use(() => redis.set(key, JSON.stringify(value), 'EX', storeTtlSeconds(ttlSeconds)), undefined);
    },
    async claim<T extends StoredValue>(key: string, value: T, ttlSeconds: number): Promise<T | undefined> {
      const stored = await use(() => redis.set(key, JSON.stringify(value), 'EX', storeTtlSeconds(ttlSeconds), 'NX'), undefined);
      if (stored === 'OK') return value;
      // Taken (null) or no answer (undefined): whoever holds it now, if Redis says.
      return stored === null ? get<T>(key) : undefined;
    },
    async admitSession(request: SessionAdmission) {
      const idleMs = storeTtlSeconds(request.idleTtlSeconds) * 1000;
      const admit = () => redis.admitSession(`sessions:${request.user}`, request.session, idleMs, request.limit, request.unique ? 1 : 0);
      // Fails open: the viewer was already authorized; only the connection count could not be checked.
      return (await use(admit, 1)) === 1;
    },
    health(): StoreHealth {
      switch (connection.state) {
        case 'up':
          if (silentSince) return { store: 'redis', ok: false, detail: `${target} not answering within ${timeoutMs} ms since ${silentSince.toISOString()}` };
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
      if (wasUp) await withFallback(() => redis.quit(), timeoutMs, undefined);
      redis.disconnect();
    },
  };
}
