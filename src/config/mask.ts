import { isSecretConfigKey } from '../secretNames.js';
import { MASK, maskOccurrences, maskUrl, withUrlEncoded } from '../secrets.js';

/**
 * A copy of the configuration that is safe to print: values of secret keys,
 * URL credentials and secret-looking URL parameters, and any text that came
 * from a secret environment variable, replaced by `***`.
 */
export function maskSecrets(value: unknown, secretValues: readonly string[] = [], key = ''): unknown {
  if (typeof value === 'string') {
    if (isSecretConfigKey(key)) return MASK;
    const masked = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? maskUrl(value) : value;
    // Each secret as given and as it reads inside a normalized URL (percent-encoded, or lower-cased in a host name:
    // masked in any case).
    return maskOccurrences(masked, withUrlEncoded(secretValues));
  }
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, secretValues, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, item]) => [k, maskSecrets(item, secretValues, k)]));
  }
  return value;
}
