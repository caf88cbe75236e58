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

/** How long the page's cookie lets a browser in: a day's shift, after which `?token=` opens the page again. */
export const COOKIE_LIFETIME_SECONDS = 24 * 3600;
/** `<issued, unix seconds>.<its HMAC>`. */
const COOKIE_SHAPE = /^(\d{1,12})\.([0-9a-f]{64})$/;

/**
 * The admin listener's bearer-token check, and the status page's cookie. The
 * cookie carries a value derived from the token and the time it was issued,
 * never the token itself, so a leaked cookie store does not hand out the token
 * for `curl`, and a copied cookie stops working a day after it was issued. It
 * needs no state: it holds across restarts (an open page keeps working through
 * one) and across the workers of a group.
 */
export function adminAuth(token: string | undefined, now: () => Date = () => new Date()) {
  const expectedToken = token === undefined ? undefined : digest(token);
  const cookieFor = (issued: number) =>
    `${issued}.${createHmac('sha256', token ?? '')
      .update(`iptv-auth-bridge status page ${issued}`)
      .digest('hex')}`;
  const seconds = () => Math.floor(now().getTime() / 1000);
  /** Whether `sent` is a cookie this token issued, less than a lifetime ago (and not after now). */
  const cookieValid = (sent: string) => {
    const issued = Number(COOKIE_SHAPE.exec(sent)?.[1]);
    const age = seconds() - issued;
    return age >= 0 && age < COOKIE_LIFETIME_SECONDS && sameText(sent, digest(cookieFor(issued)));
  };
  return {
    /** Whether requests need a token at all (none is configured on a loopback-only listener). */
    required: token !== undefined,
    tokenMatches(sent: string): boolean {
      return expectedToken === undefined || sameText(sent, expectedToken);
    },
    /** A bearer token or the page's cookie. */
    allows(req: IncomingMessage): boolean {
      if (expectedToken === undefined) return true;
      const bearer = bearerOf(req);
      if (bearer !== undefined) return sameText(bearer, expectedToken);
      const cookie = cookieOf(req);
      return cookie !== undefined && cookieValid(cookie);
    },
    /** `Set-Cookie` for a browser that showed the right token. */
    cookie(): string {
      return `${COOKIE_NAME}=${cookieFor(seconds())}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${COOKIE_LIFETIME_SECONDS}`;
    },
  };
}

export type AdminAuth = ReturnType<typeof adminAuth>;
