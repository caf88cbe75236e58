import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type Answer, FAILED } from './redisGuard.js';
import type { RedisSubscriber } from './redisSubscriber.js';
import type { SharedMiss, StoredValue } from './types.js';

/** Where a miss's holder announces it is done (not a key: ioredis does not prefix it). */
export const ANSWER_CHANNEL = 'iab:answers';
/**
 * How long a done holder's lock says `stored`: an instance whose own read missed just before the
 * answer landed reads it instead of asking again. A round trip or two would do; a second is generous.
 */
const STORED_MARK_MS = 1000;

const lockOf = (key: string) => `lock:${key}`;

/**
 * On the wire: which miss is done and whether its answer is stored, or the answer itself when it is not stored (a
 * deny cached for no time: what a stored one would hold in Redis anyway). Keys are digests: no secret.
 */
interface Announcement {
  readonly key: string;
  readonly stored: boolean;
  readonly unstored?: StoredValue;
}

/** What a waiter hears: stored, the unstored answer, nothing stored (the holder failed), or nothing yet (undefined). */
type Heard = boolean | StoredValue | undefined;

function readAnnouncement(text: string): Announcement | undefined {
  try {
    const value = JSON.parse(text) as Partial<Announcement>;
    const unstored = value?.unstored;
    if (unstored !== undefined && (unstored === null || typeof unstored !== 'object' || Array.isArray(unstored)))
      return undefined;
    return typeof value?.key === 'string' && typeof value.stored === 'boolean' ? (value as Announcement) : undefined;
  } catch {
    return undefined;
  }
}

export interface MissSharingOptions {
  readonly redis: Redis;
  readonly subscriber: RedisSubscriber;
  /** The store's guard: every Redis call bounded, FAILED when it did not answer. */
  readonly attempt: <T>(operation: () => Promise<T>, kind: 'read' | 'write' | 'script') => Promise<Answer<T>>;
  /** The store's own read of a value. */
  readonly read: (key: string) => Promise<StoredValue | undefined>;
  /** Epoch ms (injected, so tests drive time). */
  readonly now?: () => number;
  /** How often a waiting instance asks Redis whether the lock it waits on is still there (see `missSharing`). */
  readonly probeEveryMs?: number;
}

/**
 * A holder's announcement cannot come while Redis is silent, and a waiter that sends nothing would not notice the
 * silence: it would wait out its budget and deny. Asked this often, the lock tells it within one Redis timeout more.
 */
const PROBE_EVERY_MS = 250;

export interface MissSharing {
  share<T extends StoredValue, R>(key: string, budgetMs: number, ask: () => Promise<R>): Promise<SharedMiss<T, R>>;
  /** The store stored `key`: a miss this instance holds for it ends with its answer stored. */
  noteStored(key: string): void;
  /** A miss this instance holds for `key` ends with `value`, not stored: announced with it (Store.announceUnstored). */
  noteUnstored(key: string, value: StoredValue): void;
}

/**
 * Cross-instance coalescing: a short Redis lock per missed key. Its holder asks; when done it marks
 * the lock and announces on ANSWER_CHANNEL; the others wait for the announcement and read what it
 * stored. The lock lives only what is left of its holder's budget (`budgetMs`), and no one waits
 * longer than the lock or their own budget: a holder that died (or hangs) costs the others their
 * wait until its lock ends, then each asks itself with what is left. While the instance cannot hear announcements
 * (subscriber down) or Redis does not answer, every miss asks at once.
 */
export function missSharing({
  redis,
  subscriber,
  attempt,
  read,
  now = Date.now,
  probeEveryMs = PROBE_EVERY_MS,
}: MissSharingOptions): MissSharing {
  /** Misses this instance waits on, by key: each woken with what it heard. */
  const waiting = new Map<string, Set<(heard: Heard) => void>>();
  /** One probe per key waited on, while any check of this instance waits on it. */
  const probes = new Map<string, NodeJS.Timeout>();

  /** Wakes the waiters of `key` (as a lock that ended unannounced does) when Redis is silent or the lock is gone. */
  function probe(key: string): void {
    void attempt(() => redis.exists(lockOf(key)), 'read').then((held) => {
      if (held !== FAILED && held > 0) return;
      for (const wake of waiting.get(key) ?? []) wake(undefined);
    });
  }
  /** Misses this instance holds, by key: whether the answer has been stored yet, or the answer not stored. */
  const holding = new Map<string, { stored: boolean; unstored?: StoredValue }>();

  subscriber.listen(ANSWER_CHANNEL, (text) => {
    const announcement = readAnnouncement(text);
    if (announcement === undefined) return;
    for (const wake of waiting.get(announcement.key) ?? []) wake(announcement.unstored ?? announcement.stored);
  });

  /**
   * Hears the announcement for `key` from now on; `within(ms)` resolves with whether the answer was
   * stored, or undefined when `ms` passed first or on `stop`.
   */
  function listenFor(key: string): { within(ms: number): Promise<Heard>; stop(): void } {
    const waiters = waiting.get(key) ?? new Set();
    if (!waiting.has(key)) {
      waiting.set(key, waiters);
      const timer = setInterval(() => probe(key), probeEveryMs);
      timer.unref();
      probes.set(key, timer);
    }
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    let done!: (heard: Heard) => void;
    const heard = new Promise<Heard>((resolve) => {
      done = (stored) => {
        settled = true;
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && waiting.get(key) === waiters) {
          waiting.delete(key);
          clearInterval(probes.get(key));
          probes.delete(key);
        }
        resolve(stored);
      };
      waiters.add(done);
    });
    return {
      within(ms) {
        if (!settled) timer = setTimeout(() => done(undefined), ms);
        return heard;
      },
      stop: () => done(undefined),
    };
  }

  /**
   * Releases (or marks) the lock and announces it. While Redis is silent the guard sends nothing, and a lock left
   * behind made the other instances wait on it, past Redis's return, until it ended: tried again every probe
   * interval until it goes through or the lock has ended by itself (`lockEndsAt`).
   */
  function release(key: string, token: string, stored: boolean, message: string, lockEndsAt: number): void {
    void attempt(
      () => redis.releaseMiss(lockOf(key), token, stored ? '1' : '0', STORED_MARK_MS, ANSWER_CHANNEL, message),
      'script',
    ).then((answer) => {
      if (answer !== FAILED || now() + probeEveryMs >= lockEndsAt) return;
      setTimeout(() => release(key, token, stored, message, lockEndsAt), probeEveryMs).unref();
    });
  }

  async function askHolding<R>(key: string, token: string, ask: () => Promise<R>, lockEndsAt: number): Promise<R> {
    const held: { stored: boolean; unstored?: StoredValue } = { stored: false };
    holding.set(key, held);
    try {
      return await ask();
    } finally {
      holding.delete(key);
      const { stored, unstored } = held;
      const message = JSON.stringify({ key, stored, ...(stored ? {} : { unstored }) } satisfies Announcement);
      // Sent after the answer's own write, on the same connection: whoever hears this can read it.
      release(key, token, stored, message, lockEndsAt);
    }
  }

  async function share<T extends StoredValue, R>(
    key: string,
    budgetMs: number,
    ask: () => Promise<R>,
  ): Promise<SharedMiss<T, R>> {
    const deadline = now() + budgetMs;
    const token = randomUUID();
    while (subscriber.listening() && now() < deadline) {
      // Listening before claiming, so an announcement made in between is heard.
      const announcement = listenFor(key);
      // The lock lives as long as a holder's ask may: what is left of this caller's budget.
      const claim = await attempt(() => redis.claimMiss(lockOf(key), token, Math.ceil(deadline - now())), 'script');
      if (claim === FAILED || claim > 0) announcement.stop();
      if (claim === FAILED) break;
      if (claim === 1) return { asked: await askHolding(key, token, ask, deadline) };
      // Held by another for -claim ms more: waited for until then at most (a holder that died says nothing),
      // and a millisecond past it, so the next claim lands after the lock's end rather than on it.
      const lockEndsFirst = -claim < deadline - now();
      const stored = claim === 2 || (await announcement.within(Math.min(-claim + 1, deadline - now())));
      if (stored === undefined && lockEndsFirst) continue;
      if (stored === undefined) break;
      // The holder's answer, cached for no time: this miss's answer all the same, as for the holder's own waiters.
      if (typeof stored === 'object') return { announced: stored as T };
      if (stored) {
        const value = await read(key);
        if (value !== undefined) return { stored: value as T };
        break;
      }
      // The holder stored nothing (its backends failed): the next claim may ask in its place.
    }
    return { asked: await ask() };
  }

  return {
    share,
    noteStored(key) {
      const held = holding.get(key);
      if (held) held.stored = true;
    },
    noteUnstored(key, value) {
      const held = holding.get(key);
      if (held) held.unstored = value;
    },
  };
}
