import { isSecretName, MASK, maskUrl } from '../secrets.js';

/** A copy of the configuration that is safe to print: secrets replaced by `***`. */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (isSecretName(key)) return MASK;
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? maskUrl(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, item]) => [k, maskSecrets(item, k)]));
  }
  return value;
}
