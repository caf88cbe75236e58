import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { adminAuth, COOKIE_LIFETIME_SECONDS } from '../../src/admin/auth.js';

const TOKEN = 'test-admin-token-0123456789';
const withCookie = (value: string) => ({ headers: { cookie: value } }) as unknown as IncomingMessage;
/** The `name=value` part of a Set-Cookie. */
const cookieOf = (setCookie: string) => setCookie.split(';')[0]!;

describe('adminAuth: the status page cookie', () => {
  it('lets the browser in for a day after it was issued, then no longer', () => {
    let at = Date.parse('2026-12-04T08:00:00Z');
    const auth = adminAuth(TOKEN, () => new Date(at));
    const cookie = cookieOf(auth.cookie());
    expect(cookie).not.toContain(TOKEN);
    expect(auth.allows(withCookie(cookie))).toBe(true);
    at += (COOKIE_LIFETIME_SECONDS - 1) * 1000;
    expect(auth.allows(withCookie(cookie))).toBe(true);
    at += 1000;
    expect(auth.allows(withCookie(cookie))).toBe(false);
    // A cookie issued now works again.
    expect(auth.allows(withCookie(cookieOf(auth.cookie())))).toBe(true);
  });

  it('holds across a restart (no state) but not across a token change', () => {
    const at = () => new Date('2026-12-04T08:00:00Z');
    const cookie = cookieOf(adminAuth(TOKEN, at).cookie());
    expect(adminAuth(TOKEN, at).allows(withCookie(cookie))).toBe(true);
    expect(adminAuth(`${TOKEN}-new`, at).allows(withCookie(cookie))).toBe(false);
  });

  it('refuses a cookie whose time was moved, one from the future, and one of another shape', () => {
    const at = Date.parse('2026-12-04T08:00:00Z');
    const auth = adminAuth(TOKEN, () => new Date(at));
    const [name, value] = cookieOf(auth.cookie()).split('=') as [string, string];
    const [issued, mac] = value.split('.') as [string, string];
    expect(auth.allows(withCookie(`${name}=${Number(issued) + 3600}.${mac}`))).toBe(false);
    const later = cookieOf(adminAuth(TOKEN, () => new Date(at + 3_600_000)).cookie());
    expect(auth.allows(withCookie(later))).toBe(false);
    for (const other of [`${name}=${mac}`, `${name}=${issued}.${mac}x`, `${name}=.${mac}`, `${name}=${TOKEN}`, ''])
      expect(auth.allows(withCookie(other)), other).toBe(false);
  });

  it('is not needed where no token is configured', () => {
    expect(adminAuth(undefined).allows(withCookie(''))).toBe(true);
  });
});
