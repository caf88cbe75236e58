import { z } from 'zod';
import { CIDR_MESSAGE, flag, integer, nameKey, parseRange } from './fields.js';

export type IpAction = 'allow' | 'deny' | 'pass';

/** `allow|deny|pass <ip or CIDR>`, kept as text; the range is parsed once when the rules are built. */
const ipRule = z.string().transform((text, ctx) => {
  const match = /^\s*(allow|deny|pass)\s+(\S+)\s*$/.exec(text);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `expected "allow|deny|pass <IP or CIDR>", got "${text}"` });
    return z.NEVER;
  }
  if (!parseRange(match[2]!)) {
    ctx.addIssue({ code: 'custom', message: `"${text}": ${CIDR_MESSAGE}` });
    return z.NEVER;
  }
  return { action: match[1] as IpAction, range: match[2]! };
});

const secret = z.string().min(1, 'must not be empty');

export const securetokenSchema = z.strictObject({
  /** Several secrets are accepted at once, so a secret can be rotated without cutting viewers off. */
  secret: z.union([secret, z.array(secret).min(1)]).transform((value) => (Array.isArray(value) ? value : [value])),
  /** `path` as Alta hashes it, `channel` (the channel id) as Astra does. */
  hash: z.enum(['path', 'channel']).default('path'),
  clockSkew: integer(0, 86_400).default(60),
});

/** ISO 8601 date-time or unix seconds (as Astra's user API gives it), kept as unix seconds. */
const expires = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const text = String(value).trim();
  const seconds = /^\d+$/.test(text) ? Number(text) : Date.parse(text) / 1000;
  if (!Number.isFinite(seconds) || text === '') {
    ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 date-time or unix seconds' });
    return z.NEVER;
  }
  return Math.floor(seconds);
});

const ipList = z
  .union([z.string(), z.array(z.string()).min(1)])
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .refine((ranges) => ranges.every((range) => parseRange(range) !== undefined), { error: CIDR_MESSAGE });

const printable = z.string().min(1, 'must not be empty').regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters');

export const userSchema = z
  .strictObject({
    login: printable.max(256),
    /** Plain text, or a bcrypt (`$2a$/$2b$/$2y$`), argon2 (`$argon2id$...`) or scrypt (`$scrypt$...`) hash. */
    password: z.string().min(1, 'must not be empty').optional(),
    token: printable.max(1024).optional(),
    ip: ipList.optional(),
    expires: expires.optional(),
    enabled: flag.default(true),
    maxConnections: integer(1, 100_000).optional(),
    packages: z.array(nameKey).optional(),
    comment: z.string().optional(),
  })
  .refine((user) => user.password !== undefined || user.token !== undefined, {
    error: 'a user needs a password or a token to log in with',
  });

export const packagesSchema = z.record(nameKey, z.array(z.string().min(1)));

/** A users file: a list of users, or `{users: [...], packages: {...}}`. */
export const usersFileSchema = z.union([
  z.array(userSchema),
  z.strictObject({ users: z.array(userSchema).default([]), packages: packagesSchema.default({}) }),
]);

export const ipRulesSchema = z.array(ipRule);

export const sessionsSchema = z.strictObject({
  /** A session not seen for this many seconds no longer counts against a connection limit. */
  idleTtl: integer(1, 86_400 * 7).default(3600),
});

export type IpRule = z.output<typeof ipRule>;
export type SecuretokenConfig = z.output<typeof securetokenSchema>;
export type LocalUser = z.output<typeof userSchema>;
export type Packages = z.output<typeof packagesSchema>;
