import { hash, randomBytes } from 'node:crypto';
import { boundedMemo } from './memo.js';
import { isSecretParameterName } from './secretNames.js';

// Per process: fingerprints correlate log lines of one run, yet a short token
// cannot be recovered from the log by hashing guesses. 128 bits in 22 characters:
// with a token of up to 33 bytes it fits SHA-256's one 55-byte block, where a
// 64-character key took two (measured: 10.4k instructions a fingerprint, now 8.1k).
const FINGERPRINT_KEY = randomBytes(16).toString('base64url');

/**
 * A short stand-in for a secret in logs: the same secret gives the same
 * fingerprint within one run. A viewer's token is logged on every check, so
 * its fingerprint is worked out once (bounded, kept in memory only).
 *
 * Keyed by the secret key in front of the text, hashed in one call: a new
 * token on every miss made createHmac (an object, a key import, three calls)
 * about 5 µs of each miss, `hash` takes about 1.5. A prefix key lets no one
 * extend a digest they never see whole: only 48 of its 256 bits are shown.
 */
export const fingerprint = boundedMemo(
  (secret) => hash('sha256', FINGERPRINT_KEY + secret, 'hex').slice(0, 12),
  10_000,
);

export const MASK = '***';

/** Shell bookkeeping whose names happen to look secret (`PWD` is the working directory). */
const SHELL_VARIABLES = new Set(['PWD', 'OLDPWD']);

/**
 * `text` with every occurrence of each secret replaced by `***`, in any letter case, the secrets
 * masked one after the other in the order given. Any case: a middleware that echoes a token
 * lower-cased (`X-Session-Name: name-abcd...`), or a URL whose escapes were written `%2f`, still
 * carries the secret. An empty secret is skipped (it would otherwise put `***` between every character).
 */
export function maskOccurrences(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of secrets) if (secret !== '') masked = masked.replace(anyCase(secret), MASK);
  return masked;
}

/**
 * `text` with each secret replaced by `***` where it stands exactly as given, for the bridge's own secrets in other
 * programs' messages (a Redis error): a password echoed there is the password itself, and matching any letter case
 * would mask other words (`ECONNREFUSED` for a password `on` read `EC***NREFUSED`, which says what the password is).
 */
export function maskExactly(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of secrets) if (secret !== '') masked = masked.split(secret).join(MASK);
  return masked;
}

/** Whether `text` holds `secret` in any letter case (a check before masking, on a path that runs often). */
export function holdsInAnyCase(text: string, secret: string): boolean {
  return secret !== '' && (text.includes(secret) || text.toLowerCase().includes(secret.toLowerCase()));
}

/** A secret as a pattern that finds it in any letter case. */
function anyCase(secret: string): RegExp {
  return new RegExp(secret.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'), 'gi');
}

/** Each secret followed by its `encodeURIComponent` form, the way it reads inside a URL. */
export function withUrlEncoded(secrets: readonly string[]): string[] {
  return secrets.flatMap((secret) => [secret, encodeURIComponent(secret)]);
}

/** Values of environment variables named like secrets, so printed text can be scrubbed of them. */
export function secretEnvValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(
      ([name, value]) =>
        isSecretParameterName(name) && !SHELL_VARIABLES.has(name) && value !== undefined && value.length >= 4,
    )
    .map(([, value]) => value!);
}

/** A URL with its user info and any secret-looking query values masked. */
export function maskUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Unparseable, yet it may still carry `user:password@`: mask whatever precedes the host.
    return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, `$1${MASK}@`);
  }
  if (url.username) url.username = MASK;
  if (url.password) url.password = MASK;
  for (const name of [...url.searchParams.keys()]) {
    if (isSecretParameterName(name)) url.searchParams.set(name, MASK);
  }
  return url.toString();
}
