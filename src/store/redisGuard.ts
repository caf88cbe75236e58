import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { maskExactly } from '../secrets.js';
import { secretValueForms } from '../secretText.js';
import type { StoreHealth } from './types.js';

/** What Redis answers is shown in /healthz and the log; a hostile or broken server could answer anything. */
const MAX_REASON_CHARS = 200;
/** A Redis operation that did not answer: refused, timed out, or not sent. */
export const FAILED = Symbol('failed');
export type Answer<T> = T | typeof FAILED;

type Connection =
  | { readonly state: 'connecting' }
  | { readonly state: 'up' }
  | { readonly state: 'down'; readonly since: number; readonly reason: string }
  | { readonly state: 'closed' };

/** Why Redis did not do what it was asked while connected: silent (timeouts), or refusing writes (OOM, READONLY). */
interface Trouble {
  /** Epoch ms, on the injected clock. */
  readonly since: number;
  readonly reason: string;
}

const isoTime = (epochMs: number) => new Date(epochMs).toISOString();

/**
 * A Redis at its memory limit frees a little as keys expire and takes a write or two between refusals:
 * counted as "accepting again" each time, one episode logged 73 pairs of lines in 10 s. It takes writes
 * again only once one succeeds this long after the last refusal.
 */
export const WRITES_SETTLE_MS = 10_000;

/**
 * Settles with `fallback` on any failure, and after `ms` at the latest. A process busy past `ms` (a
 * burst of checks, a cold start) runs the expired timer before it reads the socket in the same turn
 * of the event loop, though the answer came long ago: taken for silence, it failed every other
 * operation at once and made each waiting miss ask the middleware itself. So the fallback waits for
 * the turn's I/O (setImmediate runs after it): an answer already received settles first.
 */
function withFallback<T>(operation: () => Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => setImmediate(() => resolve(fallback)), ms);
    let pending: Promise<T>;
    try {
      pending = operation();
    } catch {
      pending = Promise.resolve(fallback);
    }
    pending
      .then(
        (value) => resolve(value),
        () => resolve(fallback),
      )
      .finally(() => clearTimeout(timer));
  });
}

/**
 * An error Redis itself answered (`OOM command not allowed ...`, `READONLY ...`), as opposed to a timeout or a closed
 * socket.
 */
function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/** `OOM ... script: <digest>, on @user_script:12.`: where in which script, not why. */
const withoutScriptName = (message: string) => message.replace(/\s*script: [0-9a-f]+,.*$/s, '');

/** The client's own `commandTimeout` fired: Redis said nothing. */
function isTimeout(error: unknown): boolean {
  return error instanceof Error && /timed out/i.test(error.message);
}

/**
 * The client reconnects by itself after a lost connection, but gives up for good in a few races (a
 * Sentinel connection ended while it resolved the primary): unless `closed()`, it is dialled again
 * `afterMs` later, as after any other loss.
 */
export function redialWhenEnded(redis: Redis, afterMs: number, closed: () => boolean): void {
  redis.on('end', () => {
    if (closed()) return;
    setTimeout(() => {
      if (!closed() && redis.status === 'end') redis.connect().catch(() => undefined);
    }, afterMs).unref();
  });
}

export interface RedisGuard {
  /**
   * Runs one Redis operation within `timeoutMs`; FAILED when it did not answer, and health learns why.
   * Once one timed out, every operation is FAILED at once, unsent, until Redis answers a PING.
   * A refused `write` or `script` shows Redis refusing writes; only a plain write that succeeds shows
   * it takes them again (WRITES_SETTLE_MS after the last refusal): Redis lets a script that has already
   * written (a DEL, say) go on when full.
   */
  attempt<T>(operation: () => Promise<T>, kind: 'read' | 'write' | 'script'): Promise<Answer<T>>;
  /** What /healthz shows: up, or why not, in Redis's own words where it gave any. */
  health(): StoreHealth;
  /** Marks the connection closed and ends it politely (QUIT, within `timeoutMs`); false when it was closed already. */
  close(): Promise<boolean>;
}

/**
 * Watches one Redis connection and every operation on it, so health can name the real cause of
 * trouble: the connection's error, a server that stopped answering, or the error Redis answered
 * to a write. Each change is logged once.
 */
export function guardRedis(
  redis: Redis,
  {
    timeoutMs,
    log,
    redialAfterMs,
    now,
  }: {
    readonly timeoutMs: number;
    readonly log: Logger;
    readonly redialAfterMs: number;
    /** Epoch ms: when trouble began, as health shows it. */
    readonly now: () => number;
  },
): RedisGuard {
  const { host, port, db, tls, password, sentinels, name } = redis.options;
  // Built from the parsed options, so no credential can be part of it.
  const target = sentinels
    ? `redis+sentinel://${sentinels.map((s) => `${s.host}:${s.port}`).join(',')}/${name}/${db ?? 0}`
    : `${tls ? 'rediss' : 'redis'}://${host}:${port}/${db ?? 0}`;
  let connection: Connection = { state: 'connecting' };
  let everConnected = false;
  let lastError: string | undefined;

  // The password as given and URL-encoded, 4 characters or more (a shorter one would mask parts of other words).
  const passwordForms = password ? secretValueForms([password]) : [];
  const scrub = (text: string) => maskExactly(text, passwordForms).slice(0, MAX_REASON_CHARS);
  // Redis connects even when SELECT fails, and would then serve db 0, perhaps someone else's: use none.
  let wrongDb: string | undefined;
  // A stalled server keeps the connection up for seconds before the client notices; its silence shows at once.
  let silent: Trouble | undefined;
  // Reads may go on while writes are refused (maxmemory with noeviction, a read-only replica).
  let refusingWrites: Trouble | undefined;
  let lastRefusal = 0;

  function noteRefusal(error: Error): void {
    lastRefusal = now();
    // One episode, one line: each script refused names itself (its digest), which says nothing of the cause. A cause
    // that changes (full, then a demoted primary) is told anew: the operator fixes what Redis says now.
    const reason = scrub(withoutScriptName(error.message));
    if (refusingWrites?.reason === reason) return;
    refusingWrites = { since: lastRefusal, reason };
    log.warn(
      'redis store refusing writes: decisions not cached, token bindings and session counts kept in this instance',
      { store: target, reason },
    );
  }

  function noteSilence(): void {
    if (silent || connection.state !== 'up') return;
    silent = { since: now(), reason: `not answering within ${timeoutMs} ms` };
    log.warn('redis store not answering: answering as cache misses until it answers again', {
      store: target,
      reason: silent.reason,
    });
  }

  function noteAnswer(): void {
    if (!silent) return;
    silent = undefined;
    log.info('redis store answering again', { store: target });
  }

  // While Redis is silent or refusing writes, a cached load may ask it nothing for a long time: health
  // (and, while silent, every operation not sent) asks Redis itself whether that is over, one probe at a time.
  let probing = false;
  function probe(operation: () => Promise<unknown>, kind: 'read' | 'write'): void {
    if (probing) return;
    probing = true;
    void send(operation, kind).finally(() => (probing = false));
  }
  const probeSilence = () => probe(() => redis.ping(), 'read');

  function attempt<T>(operation: () => Promise<T>, kind: 'read' | 'write' | 'script'): Promise<Answer<T>> {
    if (wrongDb !== undefined) return Promise.resolve(FAILED);
    // Known silent: what is sent now would only wait behind what went unanswered, so nothing waits
    // for it; the first PING answered ends the silence.
    if (silent) {
      probeSilence();
      return Promise.resolve(FAILED);
    }
    return send(operation, kind);
  }

  function send<T>(operation: () => Promise<T>, kind: 'read' | 'write' | 'script'): Promise<Answer<T>> {
    let answered = false;
    const answering = () =>
      operation().then(
        (value) => {
          answered = true;
          noteAnswer();
          if (kind === 'write' && refusingWrites && now() - lastRefusal >= WRITES_SETTLE_MS) {
            log.info('redis store accepting writes again', { store: target });
            refusingWrites = undefined;
          }
          return value;
        },
        (error: unknown) => {
          // Only silence is a timeout; a closed connection is reported by the connection's own state.
          if (!isTimeout(error)) answered = true;
          if (isReplyError(error)) {
            noteAnswer();
            if (kind !== 'read') noteRefusal(error);
          }
          throw error;
        },
      );
    return withFallback<Answer<T>>(answering, timeoutMs, FAILED).then((value) => {
      if (!answered) noteSilence();
      return value;
    });
  }

  redialWhenEnded(redis, redialAfterMs, () => connection.state === 'closed');
  // State changes are logged once each; the client reports every failed attempt, the log does not.
  redis.on('error', (error: Error & { code?: string }) => {
    lastError = scrub(error.code ?? error.message);
    if (/DB index is out of range/i.test(error.message))
      wrongDb = `db ${db ?? 0} does not exist on the server (cache.redisUrl)`;
    if (connection.state === 'connecting') {
      connection = { state: 'down', since: now(), reason: lastError };
      log.warn('redis store unreachable: answering as cache misses until it is back', {
        store: target,
        reason: lastError,
      });
    } else if (connection.state === 'down') {
      connection = { ...connection, reason: lastError };
    }
  });
  redis.on('ready', () => {
    if (connection.state === 'closed') return;
    if (wrongDb !== undefined) {
      connection = { state: 'down', since: now(), reason: wrongDb };
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
    connection = { state: 'down', since: now(), reason };
    log.warn('redis store connection lost: answering as cache misses until it is back', { store: target, reason });
  });

  return {
    attempt,
    health(): StoreHealth {
      switch (connection.state) {
        case 'up':
          if (silent) {
            probeSilence();
            return {
              store: 'redis',
              ok: false,
              detail: `${target} ${silent.reason} since ${isoTime(silent.since)}`,
            };
          }
          if (refusingWrites) {
            probe(() => redis.set('probe', '1', 'EX', 1), 'write');
            return {
              store: 'redis',
              ok: false,
              detail: `${target} refusing writes since ${isoTime(refusingWrites.since)}: ${refusingWrites.reason}`,
            };
          }
          return { store: 'redis', ok: true, detail: `connected to ${target}` };
        case 'down':
          return {
            store: 'redis',
            ok: false,
            detail: `${target} unreachable since ${isoTime(connection.since)}: ${connection.reason}`,
          };
        case 'connecting':
          return { store: 'redis', ok: false, detail: `connecting to ${target}` };
        case 'closed':
          return { store: 'redis', ok: false, detail: 'closed' };
      }
    },
    async close() {
      if (connection.state === 'closed') return false;
      const wasUp = connection.state === 'up';
      connection = { state: 'closed' };
      if (wasUp) await withFallback(() => redis.quit(), timeoutMs, undefined);
      return true;
    },
  };
}
