import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Securetoken links as Cesbo Alta (hashing the path) and Astra (hashing the
 * channel id) check them: `<sha1hex>-<salt>-<end>-<start>`, the hash taken of
 * `<path or channel id><ip><start><end><secret><salt>`.
 */

/** Four dash-separated parts, the first 40 characters long: what a securetoken looks like, valid or not. */
// Empty parts still make the shape: such a token is a broken securetoken (denied), not someone else's token.
const SHAPE = /^([^-]{40})-([^-]*)-([^-]*)-([^-]*)$/;
const HEX_SHA1 = /^[0-9a-fA-F]{40}$/;
const UNIX_SECONDS = /^\d{1,12}$/;

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

export function signSecuretoken(request: SignRequest): string {
  const [start, end] = [String(request.start), String(request.end)];
  const hash = digest(request, start, end, request.secret, request.salt).toString('hex');
  return `${hash}-${request.salt}-${end}-${start}`;
}

export interface VerifyOptions {
  /** Every secret currently accepted (more than one while a secret is rotated). */
  readonly secrets: readonly string[];
  /** Seconds a token may be used before its start, for clocks that disagree. */
  readonly clockSkew: number;
  /** Unix seconds. */
  readonly now: number;
}

export type SecuretokenVerdict =
  | { readonly valid: true; /** Unix seconds the token stays valid until. */ readonly end: number }
  | { readonly valid: false; readonly reason: 'malformed' | 'bad signature' | 'not yet valid' | 'expired' };

/** Checks a securetoken-shaped token for the viewer's path or channel and IP; `now` within `[start - clockSkew, end]`. */
export function verifySecuretoken(token: string, subject: SecuretokenSubject, options: VerifyOptions): SecuretokenVerdict {
  const parts = SHAPE.exec(token);
  if (!parts) return { valid: false, reason: 'malformed' };
  const [, hex, salt, endText, startText] = parts as unknown as [string, string, string, string, string];
  if (!HEX_SHA1.test(hex) || salt === '' || !UNIX_SECONDS.test(endText) || !UNIX_SECONDS.test(startText)) return { valid: false, reason: 'malformed' };
  const [start, end] = [Number(startText), Number(endText)];
  if (end < start) return { valid: false, reason: 'malformed' };

  const given = Buffer.from(hex, 'hex');
  // Every secret is tried, so how long the check takes does not tell which one matched.
  let signed = false;
  for (const secret of options.secrets) {
    if (timingSafeEqual(given, digest(subject, startText, endText, secret, salt))) signed = true;
  }
  if (!signed) return { valid: false, reason: 'bad signature' };
  if (options.now < start - options.clockSkew) return { valid: false, reason: 'not yet valid' };
  if (options.now > end) return { valid: false, reason: 'expired' };
  return { valid: true, end };
}
