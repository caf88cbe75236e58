import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { redisStore } from '../../src/store/redis.js';
import type { SessionAdmission, Store } from '../../src/store/types.js';
import { memoryLogger } from './bridge.js';
import { startRedis, type RedisServer } from './redisServer.js';

/** A cached decision as the cache step stores it. */
export const decision = {
  allow: true,
  freshUntil: 1_732_000_000_000,
  decidedBy: 'backend:portal',
  sessionName: 'alice',
};

/** Generous: only there to turn a hang into a failure, not to measure speed. */
const HANG_DETECTOR_MS = 3000;
/** For vi.waitFor on a real event (a reconnect, a published message). */
export const EVENTUALLY = { timeout: 10_000, interval: 50 };

export function admission(session: string, more: Partial<SessionAdmission> = {}): SessionAdmission {
  return { user: 'alice', session, limit: 2, idleTtlSeconds: 60, unique: false, ...more };
}

/** Rejects when `promise` has not settled within `ms`: a hang detector. */
export function settlesWithin<T>(promise: Promise<T>, ms = HANG_DETECTOR_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

export async function connected(store: Store): Promise<void> {
  await vi.waitFor(() => expect(store.health().ok).toBe(true), EVENTUALLY);
}

/** Redis stores opened by a test file, each with its log kept in memory; `closeAll` in afterEach. */
export function redisStores() {
  const opened: Store[] = [];
  return {
    /** `now`: the store's clock (epoch ms), for tests that move time on by hand. */
    open(url: string, timeoutMs = 200, now?: () => number): { store: Store; logs: string[] } {
      const logs: string[] = [];
      const store = redisStore({ url, timeoutMs, log: memoryLogger(logs), now });
      opened.push(store);
      return { store, logs };
    },
    /** A store opened elsewhere (createStore), closed with the others. */
    adopt(store: Store): void {
      opened.push(store);
    },
    closeAll: () => Promise.all(opened.splice(0).map((store) => store.close())),
  };
}

/**
 * One redis-server for a whole test file, emptied before each test, with a plain client (no key
 * prefix) to look at what the stores wrote; the stores a test opened are closed after it.
 */
export function redisPerFile() {
  const stores = redisStores();
  const shared = {} as { server: RedisServer; inspector: Redis };
  beforeAll(async () => {
    shared.server = await startRedis();
    shared.inspector = new Redis(shared.server.url);
  });
  afterAll(async () => {
    shared.inspector?.disconnect();
    await shared.server?.stop();
  });
  beforeEach(() => shared.inspector.flushall());
  afterEach(() => stores.closeAll());
  return { stores, shared };
}
