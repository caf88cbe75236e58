import { z } from 'zod';
import { storedPasswordProblem } from './passwordFormat.js';
import { duration } from './duration.js';
import { isoTimeMs } from './isoTime.js';
import { parseRange } from '../ipRanges.js';
import { CIDR_MESSAGE, flag, integer, nameKey } from './fields.js';

export type IpAction = 'allow' | 'deny' | 'pass';

/**
 * `allow|deny|pass <ip or CIDR>` (or `any`, as Alta writes "every address"),
 * kept as text; the range is parsed once when the rules are built.
 */
/** Neither message repeats the rule: a `${VAR}` may have put a secret there by mistake. */
const ipRule = z.string().transform((text, ctx) => {
  const match = /^\s*(allow|deny|pass)\s+(\S+)\s*$/.exec(text);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: 'expected "allow|deny|pass <IP, CIDR or any>"' });
    return z.NEVER;
  }
  if (match[2] !== 'any' && !parseRange(match[2]!)) {
    ctx.addIssue({ code: 'custom', message: `after "${match[1]}": ${CIDR_MESSAGE}` });
    return z.NEVER;
  }
  return { action: match[1] as IpAction, range: match[2]! };
});

/** An IP rule as the config file writes it: the inverse of `ipRule`. */
export function printableIpRule(rule: IpRule): string {
  return `${rule.action} ${rule.range}`;
}

const secret = z.string().min(1, 'must not be empty');

export const securetokenSchema = z.strictObject({
  /** Several secrets are accepted at once, so a secret can be rotated without cutting viewers off. */
  secret: z.union([secret, z.array(secret).min(1)]).transform((value) => (Array.isArray(value) ? value : [value])),
  /** `path` as Alta hashes it, `channel` (the channel id) as Astra does. */
  hash: z.enum(['path', 'channel']).default('path'),
  clockSkew: integer(0, 86_400).default(60),
  /** Longest `end - start` a token may span, so no link (leaked or mis-made) stays valid for years. */
  maxLifetime: duration.default(2 * 86_400),
});

/**
 * ISO 8601 date-time or unix seconds (as Astra's user API gives it), kept as
 * unix seconds. `0` is Astra's "never expires".
 */

/** 5000-01-01T00:00:00Z in unix seconds. */
const LATEST_UNIX_SECONDS = 95_617_584_000;

const expires = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const text = String(value).trim();
  const seconds = /^\d+$/.test(text) ? Number(text) : (isoTimeMs(text) ?? NaN) / 1000;
  if (!Number.isFinite(seconds)) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected unix seconds or an ISO 8601 date-time with Z or an offset, e.g. 2026-01-31T23:59:59Z',
    });
    return z.NEVER;
  }
  // Past the year 5000: milliseconds (what JavaScript's Date.now() gives), and the account would never expire.
  if (seconds >= LATEST_UNIX_SECONDS) {
    ctx.addIssue({ code: 'custom', message: `expected unix seconds: ${text} is milliseconds, or past the year 5000` });
    return z.NEVER;
  }
  return seconds === 0 ? undefined : Math.floor(seconds);
});

/** Astra exports unset fields as empty strings; they mean "not set" here too. */
function optionalText<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
}

const ipList = z
  .union([z.string(), z.array(z.string()).min(1)])
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .refine((ranges) => ranges.every((range) => parseRange(range) !== undefined), { error: CIDR_MESSAGE });

const printable = z
  .string()
  .min(1, 'must not be empty')
  .regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters')
  // `?token=++` reads as two spaces: a token (or login) of spaces alone is a typo anyone can send.
  .refine((text) => text.trim() !== '', 'must not be only spaces');

const password = z.string().superRefine((stored, ctx) => {
  const problem = storedPasswordProblem(stored);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const userSchema = z
  .strictObject({
    /** Compared in Unicode NFC, so a login typed with combining accents still matches. */
    login: printable
      .max(256)
      // auth=login:password splits at the first colon, so such a login could never log in with a password.
      .refine((login) => !login.includes(':'), 'must not contain ":"')
      // X-Session-Name carries the login, and HTTP drops the blanks at either end of a header value: the streaming
      // server would know the user by another name than the bridge's log and statistics.
      .refine((login) => login.trim() === login || login.trim() === '', 'must not begin or end with a blank')
      .transform((login) => login.normalize('NFC')),
    /**
     * Plain text, or a bcrypt (`$2a$/$2b$/$2y$`), argon2 (`$argon2id$/$argon2i$/$argon2d$`)
     * or scrypt (`$scrypt$N=16384,r=8,p=1$<salt b64>$<key b64>`) hash.
     */
    password: optionalText(password),
    token: optionalText(printable.max(1024)),
    ip: optionalText(ipList),
    expires: expires.optional(),
    enabled: flag.default(true),
    /** Distinct sessions at once; `0` (Astra's "no limit") or absent: no limit. */
    maxConnections: integer(0, 100_000)
      .optional()
      .transform((limit) => (limit === 0 ? undefined : limit)),
    packages: z.array(nameKey).optional(),
    comment: z.string().optional(),
  })
  .refine((user) => user.password !== undefined || user.token !== undefined, {
    error: 'a user needs a password or a token to log in with',
    // Zod skips an object's refinements once one of its fields failed; check-config reports every problem in one run.
    when: ({ value }) => value !== null && typeof value === 'object',
  });

export const packagesSchema = z.record(nameKey, z.array(z.string().min(1)));

export const ipRulesSchema = z.array(ipRule);

export const sessionsSchema = z.strictObject({
  /** A session not seen for this many seconds no longer counts against a connection limit. */
  idleTtl: integer(1, 86_400 * 7).default(3600),
});

export type IpRule = z.output<typeof ipRule>;
export type SecuretokenConfig = z.output<typeof securetokenSchema>;
export type LocalUser = z.output<typeof userSchema>;
export type Packages = z.output<typeof packagesSchema>;

/** What the cross-user checks read of a user: each of these that is valid on its own, even in a user that is not. */
export type UserIdentity = Partial<Pick<LocalUser, 'login' | 'token' | 'packages'>>;

export interface UserProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * What cannot be seen one user at a time: logins and tokens must be unique
 * (also against `others`, users defined elsewhere), and every package a user
 * names must exist. Messages never quote a token.
 */
export function localUserProblems(
  users: readonly UserIdentity[],
  packages: Packages | undefined,
  others: readonly UserIdentity[] = [],
): UserProblem[] {
  const problems: UserProblem[] = [];
  const elsewhere = 'a user in the main config';
  const logins = new Map<string, string>(
    others.flatMap((user) => (user.login === undefined ? [] : [[user.login, elsewhere]])),
  );
  const tokens = new Map<string, string>(
    others.flatMap((user) => (user.token === undefined ? [] : [[user.token, elsewhere]])),
  );
  users.forEach((user, index) => {
    if (user.login !== undefined) {
      const seen = logins.get(user.login);
      if (seen) problems.push({ path: ['users', index, 'login'], message: `"${user.login}" is also ${seen}` });
      else logins.set(user.login, `users[${index}]`);
    }
    if (user.token !== undefined) {
      const holder = tokens.get(user.token);
      if (holder) problems.push({ path: ['users', index, 'token'], message: `the same token as ${holder}` });
      else tokens.set(user.token, `users[${index}]`);
    }
    // Unreadable packages are the schema's problem; names are checked against them only when they are readable.
    user.packages?.forEach((name, at) => {
      if (packages !== undefined && !Object.hasOwn(packages, name)) {
        const defined = Object.keys(packages).join(', ') || 'none';
        problems.push({
          path: ['users', index, 'packages', at],
          message: `unknown package "${name}" (defined: ${defined})`,
        });
      }
    });
  });
  return problems;
}
