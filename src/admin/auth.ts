import { createHash, createHmac, timingSafeEqual, type BinaryLike } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const COOKIE_NAME = 'iab_admin';

/** Digests have one length whatever was sent, so comparing them takes the same time either way. */
const digest = (value: BinaryLike) => createHash('sha256').update(value).digest();

function sameText(sent: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(sent), expected);
}

function bearerOf(req: IncomingMessage): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function cookieOf(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE_NAME) return value.join('=');
  }
  return undefined;
}

/**
 * The admin listener's bearer-token check, and the status page's cookie. The
 * cookie carries a value derived from the token, never the token itself, so a
 * leaked cookie store does not hand out the token for `curl`; it is stable
 * across restarts, so an open page keeps working through one.
 */
export function adminAuth(token: string | undefined) {
  const expectedToken = token === undefined ? undefined : digest(token);
  const cookieValue =
    token === undefined ? undefined : createHmac('sha256', token).update('iptv-auth-bridge status page').digest('hex');
  const expectedCookie = cookieValue === undefined ? undefined : digest(cookieValue);
  return {
    /** Whether requests need a token at all (none is configured on a loopback-only listener). */
    required: token !== undefined,
    tokenMatches(sent: string): boolean {
      return expectedToken === undefined || sameText(sent, expectedToken);
    },
    /** A bearer token or the page's cookie. */
    allows(req: IncomingMessage): boolean {
      if (expectedToken === undefined || expectedCookie === undefined) return true;
      const bearer = bearerOf(req);
      if (bearer !== undefined) return sameText(bearer, expectedToken);
      const cookie = cookieOf(req);
      return cookie !== undefined && sameText(cookie, expectedCookie);
    },
    /** `Set-Cookie` for a browser that showed the right token. */
    cookie(): string {
      return `${COOKIE_NAME}=${cookieValue ?? ''}; HttpOnly; SameSite=Strict; Path=/`;
    },
  };
}

export type AdminAuth = ReturnType<typeof adminAuth>;
