import type { CacheConfig } from '../config/schema.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { memoryStore } from './memory.js';
import { redisStore } from './redis.js';
import type { Store } from './types.js';

/** The store `cache.store` names: the embedded one, or Redis shared by several bridge instances. */
export function createStore(cache: CacheConfig, log: Logger, clock?: Clock): Store {
  if (cache.store === 'memory') return memoryStore({ maxEntries: cache.maxEntries, clock });
  // The schema already requires it; this keeps a hand-built config from starting half-configured.
  if (cache.redisUrl === undefined) throw new Error('cache.redisUrl: required when store is redis');
  return redisStore({
    url: cache.redisUrl,
    timeoutMs: cache.redisTimeoutMs,
    log,
    maxLocalEntries: cache.maxEntries,
    localTtlSeconds: cache.localTtl,
    now: clock ? () => clock.now() : undefined,
  });
}
