import { z } from 'zod';
import { adminSchema } from './adminSchema.js';
import { backendSchema } from './backendSchema.js';
import { CACHE_KEY_PARTS } from './cacheKeyParts.js';
import { localTtl, redisUrl } from './cacheSchema.js';
import { bodyLimits, publishSetting } from './callerSchema.js';
import { cidr, flag, httpUrl, integer, listen, nameKey } from './fields.js';
import { ipRulesSchema, packagesSchema, securetokenSchema, sessionsSchema, userSchema } from './policySchema.js';
import { reloadSchema } from './reloadSchema.js';
import { statisticsKeys } from './statsSchema.js';

export { formatHostPort } from './fields.js';
export type { BackendConfig, BackendType, BodyRule, BreakerConfig } from './backendSchema.js';

const route = z.strictObject({
  backends: z.array(z.string()).default([]),
  mode: z.enum(['any', 'sequential']).default('any'),
  default: z.enum(['allow', 'deny']).default('deny'),
  denyRedirect: httpUrl.optional(),
  /**
   * The budget of a decision's slow parts (password hashes, middleware checks): past it, pending
   * backends are cancelled and the default answers. Store operations are bounded by redisTimeoutMs.
   */
  timeoutMs: integer(1, 600_000).default(5000),
  publish: publishSetting,
});

/**
 * Connections open at most to one middleware origin: a 200 ms middleware answers 5,000 checks a second through 1,024
 * (256, the limit before, held a busy middleware's prime time back, and checks past it waited behind slow ones).
 */
export const DEFAULT_MIDDLEWARE_CONNECTIONS = 1024;

const ttl = (fallback: number) => integer(0, 86_400 * 30).default(fallback);

const cache = z
  .strictObject({
    enabled: flag.default(true),
    store: z.enum(['memory', 'redis']).default('memory'),
    redisUrl: redisUrl.optional(),
    localTtl,
    /** No Redis operation holds a viewer longer than this; past it the answer is a cache miss. */
    redisTimeoutMs: integer(10, 10_000).default(200),
    /** Unset: each route keys by everything its backends receive and could decide on (see pipeline/cacheKey.ts). */
    key: z
      .array(z.enum(CACHE_KEY_PARTS))
      .min(1)
      .refine((parts) => new Set(parts).size === parts.length, 'a part is listed more than once')
      .optional(),
    // At least a second: an allow always carries a positive lifetime, and Flussonic callers are told it (X-AuthDuration).
    allowTtl: integer(1, 86_400 * 30).default(300),
    denyTtl: ttl(30),
    /** A day: Ministra grants 36000 s and, its token being long gone by then, cannot be asked again sooner. */
    maxTtl: integer(1, 86_400 * 30).default(86_400),
    staleIfError: ttl(600),
    maxEntries: integer(1, 50_000_000).default(1_000_000),
  })
  .prefault({})
  .refine((c) => c.store !== 'redis' || c.redisUrl !== undefined, {
    message: 'required when store is redis',
    path: ['redisUrl'],
  });

/** Whether `wildcard` takes `host`'s address too: `::` takes every address (dual stack), `0.0.0.0` every IPv4 one. */
const covers = (wildcard: string, host: string) => wildcard === '::' || (wildcard === '0.0.0.0' && !host.includes(':'));

/** The addresses a listener on `host` may take: `localhost` is looked up when it listens, to 127.0.0.1 or ::1. */
const addressesOf = (host: string) => (host === 'localhost' ? ['127.0.0.1', '::1'] : [host]);

/** Whether two listeners would ask for one socket: one port (not 0, a free one), and one host or a wildcard over both. */
function sameSocket(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  return addressesOf(a.host).some((x) => addressesOf(b.host).some((y) => x === y || covers(x, y) || covers(y, x)));
}

/**
 * The admin listener's clash with `listen`, read from the document as written, so that it is reported beside every
 * other problem (a check inside the schema runs only on a config otherwise valid). Only a chosen admin.listen: the
 * default one, taken, warns and the bridge serves without it (README: admin).
 */
export function listenClashProblems(document: Record<string, unknown>): string[] {
  const given = (document.admin as { listen?: unknown } | undefined)?.listen;
  if (given === undefined || given === 'off') return [];
  const decisions = listen.safeParse(document.listen ?? '127.0.0.1:8088').data;
  const admin = listen.safeParse(given).data;
  return decisions && admin && sameSocket(decisions, admin)
    ? ['admin.listen: the address listen already takes: the admin listener needs a port of its own']
    : [];
}

export const configSchema = z
  .strictObject({
    listen: listen.default({ host: '127.0.0.1', port: 8088 }),
    trustedCallers: z.array(cidr).default(['127.0.0.0/8', '::1/128']),
    log: z
      .strictObject({
        level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
        format: z.enum(['json', 'text']).default('json'),
      })
      .prefault({}),
    limits: z
      .strictObject({
        maxQueryBytes: integer(256, 65_536).default(8192),
        maxHeaderBytes: integer(1024, 65_536).default(32_768),
        middlewareConnections: integer(1, 65_536).default(DEFAULT_MIDDLEWARE_CONNECTIONS),
        ...bodyLimits,
      })
      .prefault({})
      .refine((limits) => limits.maxQueryBytes < limits.maxHeaderBytes, {
        message: 'maxQueryBytes must be smaller than maxHeaderBytes (the query travels in the request head)',
        path: ['maxQueryBytes'],
        // Compared only when both are valid: an out-of-range size is one problem, on one line.
        when: (payload) => payload.issues.length === 0,
      }),
    cache,
    admin: adminSchema,
    ipRules: ipRulesSchema.default([]),
    securetoken: securetokenSchema.optional(),
    users: z.array(userSchema).default([]),
    /** A YAML/JSON file of users (and packages), re-read when it changes. */
    usersFile: z.string().min(1).optional(),
    packages: packagesSchema.default({}),
    sessions: sessionsSchema.prefault({}),
    backends: z.record(nameKey, backendSchema).default({}),
    reload: reloadSchema,
    ...statisticsKeys,
    routes: z
      .record(nameKey, route)
      .refine(
        (routes) => Object.keys(routes).length > 0,
        'define at least one route, or leave routes out for one default route',
      )
      .optional(),
  })
  // An admin.listen that clashes with listen is checked in listenClashProblems, beside every other problem.
  // Names one part uses and another defines (a route's backends, users' packages) are checked in references.ts.
  .transform((config) => {
    const routes = config.routes ?? { default: route.parse({ backends: Object.keys(config.backends) }) };
    return { ...config, routes };
  });

export type BridgeConfig = z.output<typeof configSchema>;
export type RouteConfig = BridgeConfig['routes'][string];
export type LogConfig = BridgeConfig['log'];
export type CacheConfig = BridgeConfig['cache'];
export type CacheKeyPart = (typeof CACHE_KEY_PARTS)[number];
