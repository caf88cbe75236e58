import { z } from 'zod';
import { parseRedisUrl, REDIS_URL_FORMS } from './redisUrl.js';
import { integer } from './fields.js';

/** What the Redis client can connect to; checked here so `check-config` refuses what `serve` would. */
export const redisUrl = z.string().refine((text) => parseRedisUrl(text) !== undefined, REDIS_URL_FORMS);

/**
 * Seconds a decision read from Redis is kept in the instance's memory (0: never), so a cached check
 * does not wait for Redis; never past the decision's own lifetime. Revoke and flush reach it at once.
 */
export const localTtl = integer(0, 3600).default(5);
