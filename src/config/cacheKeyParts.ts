/**
 * The parts of a check a `cache.key` can name. The default key of a route (pipeline/cacheKey.ts)
 * takes those its backends receive, save the path and Flussonic's per-request counters.
 */
export const CACHE_KEY_PARTS = [
  'token',
  'credentials',
  'ip',
  'channel',
  'path',
  'archive',
  'session',
  'userAgent',
  'host',
  'origin',
  'referer',
  'proto',
  'query',
  'params',
] as const;
