import { createHmac, randomBytes } from 'node:crypto';

// Per process: fingerprints correlate log lines of one run, yet a short token
// cannot be recovered from the log by hashing guesses.
const FINGERPRINT_KEY = randomBytes(32);

/** A viewer's token is logged on every check; its fingerprint is worked out once (bounded, kept in memory only). */
const fingerprints = new Map<string, string>();
const REMEMBERED_FINGERPRINTS = 10_000;

/** A short stand-in for a secret in logs: the same secret gives the same fingerprint within one run. */
export function fingerprint(secret: string): string {
  let known = fingerprints.get(secret);
  if (known === undefined) {
    known = createHmac('sha256', FINGERPRINT_KEY).update(secret).digest('hex').slice(0, 12);
    if (fingerprints.size >= REMEMBERED_FINGERPRINTS) fingerprints.clear();
    fingerprints.set(secret, known);
  }
  return known;
}

export const MASK = '***';

/** Config keys whose string values are secrets. */
const SECRET_KEY = /secret|passw|token|api_?key|signature/i;
/** Names of query parameters and environment variables that carry secrets. */
const SECRET_NAME = /secret|pass|pwd|token|key|auth|sig|hash|hmac|cred/i;

/** Shell bookkeeping whose names happen to look secret (`PWD` is the working directory). */
const SHELL_VARIABLES = new Set(['PWD', 'OLDPWD']);

export function isSecretName(name: string): boolean {
  return SECRET_KEY.test(name);
}

/** Values of environment variables named like secrets, so printed text can be scrubbed of them. */
export function secretEnvValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && !SHELL_VARIABLES.has(name) && value !== undefined && value.length >= 4)
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
    if (SECRET_NAME.test(name)) url.searchParams.set(name, MASK);
  }
  return url.toString();
}
