import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** Accepts a number, or a string of digits (what `${ENV_VAR}` substitution yields). */
function integer(min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
    z.number().int().min(min).max(max),
  );
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const nameKey = z.string().regex(NAME, 'names start with a letter or digit and use letters, digits, "_" and "-" (at most 64)');

/** Stored normalized (percent-encoded, punycode host), so it is always a valid header value. */
const httpUrl = z
  .url({
    protocol: /^https?$/,
    error: (issue) => (issue.input === undefined ? 'required' : 'expected an http:// or https:// URL'),
  })
  .transform((url) => new URL(url).href);

const cidr = z.string().refine(
  (value) => {
    try {
      ipaddr.parseCIDR(value.trim());
      return true;
    } catch {
      return isIP(value.trim()) !== 0;
    }
  },
  { error: 'expected an IP address or CIDR such as 10.0.0.0/8 or ::1/128' },
);

/** `host:port`, `[v6]:port`, `:port` (all interfaces) or a bare port (loopback). */
const listen = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = String(value).trim();
  const match = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2] ?? '';
  // An IP, so a mistake shows here and not as a failed name lookup at start.
  if (!match || port > 65535 || (host !== '' && host !== 'localhost' && isIP(host) === 0)) {
    ctx.addIssue({ code: 'custom', message: 'expected host:port with an IP address, e.g. 127.0.0.1:8088 or [::1]:8088' });
    return z.NEVER;
  }
  if (!text.includes(':')) return { host: '127.0.0.1', port };
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
});

/** `host:port` as `listen` takes it, IPv6 hosts in brackets. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

const bodyRule = z.strictObject({
  format: z.enum(['json', 'xml']),
  path: z.string().min(1),
  allow: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
});

const backendCommon = {
  url: httpUrl,
  timeoutMs: integer(1, 600_000).default(2000),
  body: bodyRule.optional(),
};

const backend = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('http'), ...backendCommon }),
    z.strictObject({ type: z.literal('flussonic'), ...backendCommon }),
  ],
  { error: 'expected one of http|flussonic' },
);

const route = z.strictObject({
  backends: z.array(z.string()).default([]),
  mode: z.enum(['any', 'sequential']).default('any'),
  default: z.enum(['allow', 'deny']).default('deny'),
  denyRedirect: httpUrl.optional(),
  /** The whole decision's budget: past it, pending backends are cancelled and the default answers. */
  timeoutMs: integer(1, 600_000).default(5000),
});

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
        maxHeaderBytes: integer(1024, 65_536).default(16_384),
      })
      .prefault({})
      .refine((limits) => limits.maxQueryBytes < limits.maxHeaderBytes, {
        message: 'maxQueryBytes must be smaller than maxHeaderBytes (the query travels in the request head)',
        path: ['maxQueryBytes'],
      }),
    cache: z
      .strictObject({
        allowTtl: integer(0, 86_400 * 30).default(300),
        denyTtl: integer(0, 86_400 * 30).default(30),
        maxTtl: integer(1, 86_400 * 30).default(3600),
      })
      .prefault({}),
    backends: z.record(nameKey, backend).default({}),
    routes: z
      .record(nameKey, route)
      .refine((routes) => Object.keys(routes).length > 0, 'define at least one route, or leave routes out for one default route')
      .optional(),
  })
  .transform((config, ctx) => {
    const backendNames = Object.keys(config.backends);
    const routes = config.routes ?? { default: route.parse({ backends: backendNames }) };
    for (const [routeName, r] of Object.entries(routes)) {
      r.backends.forEach((name, index) => {
        if (!Object.hasOwn(config.backends, name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['routes', routeName, 'backends', index],
            message: `unknown backend "${name}" (defined: ${backendNames.join(', ') || 'none'})`,
          });
        }
      });
    }
    return { ...config, routes };
  });

export type BridgeConfig = z.output<typeof configSchema>;
export type BackendConfig = BridgeConfig['backends'][string];
export type BackendType = BackendConfig['type'];
export type RouteConfig = BridgeConfig['routes'][string];
export type BodyRule = z.output<typeof bodyRule>;
export type LogConfig = BridgeConfig['log'];
