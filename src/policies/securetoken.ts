import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Securetoken links as Cesbo Alta (hashing the path) and Astra (hashing the
 * channel id) check them: `<sha1hex>-<salt>-<end>-<start>`, the hash taken of
 * `<path or channel id><ip><start><end><secret><salt>`.
 *
 * That text joins its parts with no separator, so the times must have a fixed
 * width: with times of any length, a digit moved from `start` to `end` (or from
 * `start` onto the IP) signs the same text and forges a new link. Cesbo's
 * generators write unix seconds, which have 10 digits until the year 2286.
 */

/** Four dash-separated parts, the first 40 characters long: what a securetoken looks like, valid or not. */
// Empty parts still make the shape: such a token is a broken securetoken (denied), not someone else's token.
const SHAPE = /^([^-]{40})-([^-]*)-([^-]*)-([^-]*)$/;
const HEX_SHA1 = /^[0-9a-fA-F]{40}$/;
/** Unix seconds as Cesbo's generators write them: exactly 10 digits, no leading zero (2001-09-09 to 2286-11-20). */
const UNIX_SECONDS = /^[1-9]\d{9}$/;

/**
 * A token of this shape is the securetoken step's to decide: it is checked and
 * allowed or denied, never passed to a middleware (which could not read it).
 * Broken hex or times in such a token make it a malformed securetoken, so a deny.
 */
export function isSecuretokenShaped(token: string): boolean {
  return SHAPE.test(token);
}

export interface SecuretokenSubject {
  /** The request path (Alta) or the channel id (Astra). */
  readonly subject: string;
  readonly ip: string;
}

export interface SignRequest extends SecuretokenSubject {
  readonly secret: string;
  readonly salt: string;
  /** Unix seconds. */
  readonly start: number;
  readonly end: number;
}

function digest(subject: SecuretokenSubject, start: string, end: string, secret: string, salt: string): Buffer {
  return createHash('sha1').update(`${subject.subject}${subject.ip}${start}${end}${secret}${salt}`, 'utf8').digest();
}

/** Whether `start` and `end` can appear in a token that validates: 10-digit unix seconds, in order. */
export function isSignableSpan(start: number, end: number): boolean {
  return UNIX_SECONDS.test(String(start)) && UNIX_SECONDS.test(String(end)) && start <= end;
}

/** Throws a RangeError for times no verifier would accept, rather than print a link that cannot work. */
export function signSecuretoken(request: SignRequest): string {
  if (!isSignableSpan(request.start, request.end))
    throw new RangeError('start and end must be 10-digit unix seconds, start <= end');
  const [start, end] = [String(request.start), String(request.end)];
  const hash = digest(request, start, end, request.secret, request.salt).toString('hex');
  return `${hash}-${request.salt}-${end}-${start}`;
}

export interface VerifyOptions {
  /** Every secret currently accepted (more than one while a secret is rotated). */
  readonly secrets: readonly string[];
  /** Seconds a token may be used before its start, for clocks that disagree. */
  readonly clockSkew: number;
  /** Longest `end - start` accepted, in seconds. */
  readonly maxLifetime: number;
  /** Unix seconds. */
  readonly now: number;
}

export type SecuretokenValidity =
  | { readonly valid: true /** Unix seconds the token stays valid until. */; readonly end: number }
  | {
      readonly valid: false;
      readonly reason: 'malformed' | 'bad signature' | 'lifetime over maxLifetime' | 'not yet valid' | 'expired';
    };

/**
 * Checks a securetoken-shaped token for the viewer's path or channel and IP:
 * `now` within `[start - clockSkew, end]` and `end - start <= maxLifetime`.
 */
export function verifySecuretoken(
  token: string,
  subject: SecuretokenSubject,
  options: VerifyOptions,
): SecuretokenValidity {
  const parts = SHAPE.exec(token);
  if (!parts) return { valid: false, reason: 'malformed' };
  const [, hex, salt, endText, startText] = parts as unknown as [string, string, string, string, string];
  if (!HEX_SHA1.test(hex) || salt === '' || !UNIX_SECONDS.test(endText) || !UNIX_SECONDS.test(startText))
    return { valid: false, reason: 'malformed' };
  const [start, end] = [Number(startText), Number(endText)];
  if (end < start) return { valid: false, reason: 'malformed' };

  const given = Buffer.from(hex, 'hex');
  // Every secret is tried, so how long the check takes does not tell which one matched.
  let signed = false;
  for (const secret of options.secrets) {
    if (timingSafeEqual(given, digest(subject, startText, endText, secret, salt))) signed = true;
  }
  if (!signed) return { valid: false, reason: 'bad signature' };
  if (end - start > options.maxLifetime) return { valid: false, reason: 'lifetime over maxLifetime' };
  if (options.now < start - options.clockSkew) return { valid: false, reason: 'not yet valid' };
  if (options.now > end) return { valid: false, reason: 'expired' };
  return { valid: true, end };
}
