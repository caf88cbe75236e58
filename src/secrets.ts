import { createHash } from 'node:crypto';

/**
 * A short, stable stand-in for a secret, for logs: lets an operator correlate
 * lines about the same token without the token ever being written down.
 */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}

export const MASK = '***';

/** Config keys whose string values are secrets. */
const SECRET_KEY = /secret|passw|token|api_?key|signature/i;
/** Query parameters that carry secrets in middleware URLs (`?key=`, `?auth=`, ...). */
const SECRET_PARAM = /secret|passw|token|key|auth|sign|hash/i;

export function isSecretName(name: string): boolean {
  return SECRET_KEY.test(name);
}

/** A URL with its password and any secret-looking query values masked. */
export function maskUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.password) url.password = MASK;
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, MASK);
  }
  return url.toString();
}
