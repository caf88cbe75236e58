import { hash } from 'node:crypto';
import type { CacheKeyPart } from '../config/schema.js';
import type { ViewerRequest } from '../viewer.js';

const PART_VALUE: Record<CacheKeyPart, (viewer: ViewerRequest) => string | undefined> = {
  token: (v) => v.token,
  // As given: a middleware reads `auth=` whether or not it is login:password.
  credentials: (v) => v.auth,
  ip: (v) => v.ip,
  channel: (v) => v.channel,
  path: (v) => v.path,
  session: (v) => v.session,
  userAgent: (v) => v.userAgent,
  query: (v) => v.rawQuery,
};

/** A byte UTF-8 never contains: marks text hashed as UTF-16 apart from text hashed as UTF-8. */
const NOT_UTF8 = Buffer.from([0xff]);

/**
 * A short one-way digest: store keys must never hold a token or password in
 * clear. Text with a lone surrogate is hashed as UTF-16: as UTF-8 every lone
 * surrogate would become U+FFFD, and different texts would share a digest.
 */
export function digest(text: string): string {
  const input = text.isWellFormed() ? text : Buffer.concat([NOT_UTF8, Buffer.from(text, 'utf16le')]);
  return hash('sha256', input, 'base64url').slice(0, 22);
}

/** A missing part, or the part's length and value: no value can pass itself off as another part. */
const encodePart = (value: string | undefined) => (value === undefined ? '-' : `${value.length}:${value}`);

/** The cache key of a viewer check on a route: a digest of the configured parts. */
export function decisionKeyOf(parts: readonly CacheKeyPart[]): (route: string, viewer: ViewerRequest) => string {
  const readers = parts.map((part) => PART_VALUE[part]);
  return (route, viewer) => {
    let encoded = '';
    for (const read of readers) encoded += encodePart(read(viewer));
    // A publish check never shares an answer with viewing.
    return `d:${route}:${viewer.publishing ? 'publish:' : ''}${digest(encoded)}`;
  };
}

/** Where a token's IP binding is kept. */
export function bindingKey(token: string): string {
  return `b:${digest(token)}`;
}
