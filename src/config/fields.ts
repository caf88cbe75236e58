import { isIP } from 'node:net';
import { z } from 'zod';
import { parseRange } from '../ipRanges.js';

/** Accepts a number, or a string of digits (what `${ENV_VAR}` substitution yields). */
export function integer(min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
    z.number().int().min(min).max(max),
  );
}

/** `true`/`false`, also as the strings an environment variable yields. */
export const flag = z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const nameKey = z
  .string()
  .regex(NAME, 'names start with a letter or digit and use letters, digits, "_" and "-" (at most 64)');

/** Stored normalized (percent-encoded, punycode host), so it is always a valid header value. */
export const httpUrl = z
  .url({
    protocol: /^https?$/,
    error: (issue) => (issue.input === undefined ? 'required' : 'expected an http:// or https:// URL'),
  })
  .refine(hasReadableCredentials, 'the user:password@ part has a broken %-escape')
  .transform((url) => new URL(url).href);

/**
 * `user:password@` in a URL is sent as decoded text (HTTP Basic, Redis AUTH): a broken escape cannot be.
 * Text that is no URL at all passes here: it has its own problem, and this one would mislead.
 */
export function hasReadableCredentials(text: string): boolean {
  if (!URL.canParse(text)) return true;
  try {
    const url = new URL(text);
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    return true;
  } catch {
    return false;
  }
}

export const CIDR_MESSAGE = 'expected an IP address or CIDR such as 10.0.0.0/8 or ::1/128';

export const cidr = z.string().refine((value) => parseRange(value) !== undefined, { error: CIDR_MESSAGE });

/** `host:port`, `[v6]:port`, `:port` (all interfaces) or a bare port (loopback). */
export const listen = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = String(value).trim();
  const match = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2] ?? '';
  // An IP, so a mistake shows here and not as a failed name lookup at start.
  if (!match || port > 65535 || (host !== '' && host !== 'localhost' && isIP(host) === 0)) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected host:port with an IP address, e.g. 127.0.0.1:8088 or [::1]:8088',
    });
    return z.NEVER;
  }
  if (!text.includes(':')) return { host: '127.0.0.1', port };
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
});

/** `host:port` as `listen` takes it, IPv6 hosts in brackets. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** `listen` as the config file writes it: the inverse of the `listen` field. */
export function printableListen(address: { readonly host: string; readonly port: number }): string {
  return formatHostPort(address.host, address.port);
}
