import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSecuretokenShaped, signSecuretoken, verifySecuretoken } from '../../src/policies/securetoken.js';

/** Alta's published example (alta.cesbo.com, Settings → Auth → Securetoken). */
const ALTA = {
  path: '/tv/travel-channel/index.m3u8',
  ip: '192.168.88.98',
  start: 1669810000,
  end: 1669890000,
  secret: 'secret',
  salt: 'a5cd6c00',
  token: 'e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00-1669890000-1669810000',
};
const altaSubject = { subject: ALTA.path, ip: ALTA.ip };
const TWO_DAYS = 2 * 86_400;
const at = (now: number, secrets = [ALTA.secret], clockSkew = 60, maxLifetime = TWO_DAYS) => ({
  secrets,
  clockSkew,
  maxLifetime,
  now,
});

describe('securetoken', () => {
  it('validates the example from Alta’s documentation at a fixed time', () => {
    expect(verifySecuretoken(ALTA.token, altaSubject, at(1669850000))).toEqual({ valid: true, end: ALTA.end });
  });

  it('signs the Alta example to the published token', () => {
    const { path, ...rest } = ALTA;
    expect(signSecuretoken({ ...rest, subject: path })).toBe(ALTA.token);
  });

  it('agrees with an independent sha1 of path, ip, start, end, secret and salt (Astra: the channel id)', () => {
    const sha1 = createHash('sha1')
      .update('a001' + '10.0.0.5' + '1700000000' + '1700003600' + 'astra-secret' + 'f00d')
      .digest('hex');
    const token = `${sha1}-f00d-1700003600-1700000000`;
    expect(
      verifySecuretoken(token, { subject: 'a001', ip: '10.0.0.5' }, at(1700000100, ['astra-secret'])),
    ).toMatchObject({ valid: true });
  });

  it('accepts upper-case hex', () => {
    expect(
      verifySecuretoken(
        ALTA.token.replace(/^[0-9a-f]+/, (hex) => hex.toUpperCase()),
        altaSubject,
        at(1669850000),
      ).valid,
    ).toBe(true);
  });

  it('accepts any of several secrets, so a secret can be rotated', () => {
    expect(verifySecuretoken(ALTA.token, altaSubject, at(1669850000, ['new-secret', 'secret'])).valid).toBe(true);
    expect(verifySecuretoken(ALTA.token, altaSubject, at(1669850000, ['new-secret']))).toEqual({
      valid: false,
      reason: 'bad signature',
    });
  });

  it('is bound to the path, the IP and every part of the token', () => {
    const now = at(1669850000);
    expect(verifySecuretoken(ALTA.token, { ...altaSubject, subject: '/tv/other/index.m3u8' }, now).valid).toBe(false);
    expect(verifySecuretoken(ALTA.token, { ...altaSubject, ip: '192.168.88.99' }, now).valid).toBe(false);
    expect(verifySecuretoken(ALTA.token.replace('-1669890000-', '-1669890001-'), altaSubject, now).valid).toBe(false);
    expect(verifySecuretoken(ALTA.token.replace('a5cd6c00', 'a5cd6c01'), altaSubject, now).valid).toBe(false);
  });

  it('is valid from start minus the clock skew up to end', () => {
    expect(verifySecuretoken(ALTA.token, altaSubject, at(ALTA.start - 60)).valid).toBe(true);
    expect(verifySecuretoken(ALTA.token, altaSubject, at(ALTA.start - 61))).toEqual({
      valid: false,
      reason: 'not yet valid',
    });
    expect(verifySecuretoken(ALTA.token, altaSubject, at(ALTA.start - 61, [ALTA.secret], 0))).toEqual({
      valid: false,
      reason: 'not yet valid',
    });
    expect(verifySecuretoken(ALTA.token, altaSubject, at(ALTA.end)).valid).toBe(true);
    expect(verifySecuretoken(ALTA.token, altaSubject, at(ALTA.end + 1))).toEqual({ valid: false, reason: 'expired' });
  });

  it('refuses a start time in the future even with a correct signature', () => {
    const start = 2_000_000_000;
    const token = signSecuretoken({
      subject: ALTA.path,
      ip: ALTA.ip,
      secret: 'secret',
      salt: 'abc',
      start,
      end: start + 3600,
    });
    expect(verifySecuretoken(token, altaSubject, at(start - 3600))).toEqual({ valid: false, reason: 'not yet valid' });
  });

  describe('digits moved between the unseparated parts of the signed text (issue 13)', () => {
    const now = 1_700_000_000;
    const sign = (ip: string, start: number, end: number) =>
      signSecuretoken({ subject: 'a001', ip, secret: 's', salt: 'f00d', start, end });

    it('a link that expired 10 days ago is not revived by moving the last digit of start to the front of end', () => {
      const [start, end] = [now - 10 * 86_400 - 3 * 3600 + 5, now - 10 * 86_400];
      const [hash, salt, endText, startText] = sign('10.0.0.1', start, end).split('-') as [
        string,
        string,
        string,
        string,
      ];
      const forged = `${hash}-${salt}-${startText.slice(-1)}${endText}-${startText.slice(0, -1)}`;
      // The same signed text: the forgery would be "valid" until the year 3600 or so.
      expect(`${startText.slice(0, -1)}${startText.slice(-1)}${endText}`).toBe(`${startText}${endText}`);
      expect(verifySecuretoken(forged, { subject: 'a001', ip: '10.0.0.1' }, at(now, ['s']))).toEqual({
        valid: false,
        reason: 'malformed',
      });
    });

    it('a link for 10.0.0.1 does not work from 10.0.0.11 by moving the first digit of start onto the IP', () => {
      const [start, end] = [now - 60, now + 3600];
      const [hash, salt, endText, startText] = sign('10.0.0.1', start, end).split('-') as [
        string,
        string,
        string,
        string,
      ];
      const forged = `${hash}-${salt}-${endText}-${startText.slice(1)}`;
      expect(`10.0.0.11${startText.slice(1)}`).toBe(`10.0.0.1${startText}`);
      expect(verifySecuretoken(forged, { subject: 'a001', ip: '10.0.0.11' }, at(now, ['s']))).toEqual({
        valid: false,
        reason: 'malformed',
      });
      expect(
        verifySecuretoken(sign('10.0.0.1', start, end), { subject: 'a001', ip: '10.0.0.1' }, at(now, ['s'])).valid,
      ).toBe(true);
    });

    it('a correctly signed link spanning more than maxLifetime is refused, one within it is not', () => {
      expect(
        verifySecuretoken(
          sign('10.0.0.1', now, now + TWO_DAYS + 1),
          { subject: 'a001', ip: '10.0.0.1' },
          at(now, ['s']),
        ),
      ).toEqual({
        valid: false,
        reason: 'lifetime over maxLifetime',
      });
      expect(
        verifySecuretoken(sign('10.0.0.1', now, now + TWO_DAYS), { subject: 'a001', ip: '10.0.0.1' }, at(now, ['s']))
          .valid,
      ).toBe(true);
      expect(
        verifySecuretoken(
          sign('10.0.0.1', now, now + 600),
          { subject: 'a001', ip: '10.0.0.1' },
          at(now, ['s'], 60, 300),
        ).valid,
      ).toBe(false);
    });

    it.each([
      ['a 9-digit start', 999_999_999, 1_700_000_000],
      ['an 11-digit end', 1_700_000_000, 10_000_000_000],
      ['an end before the start', 1_700_000_001, 1_700_000_000],
    ])('refuses to sign %s: no verifier would accept it', (_what, start, end) => {
      expect(() => sign('10.0.0.1', start, end)).toThrow(RangeError);
    });
  });

  describe('shape', () => {
    it('recognizes the securetoken form only', () => {
      expect(isSecuretokenShaped(ALTA.token)).toBe(true);
      expect(isSecuretokenShaped('8732684ydbeb8')).toBe(false);
      expect(isSecuretokenShaped('6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7')).toBe(false);
      expect(isSecuretokenShaped('0f8b1c9e-3d2a-4b5c-8e7f-1a2b3c4d5e6f')).toBe(false);
      expect(isSecuretokenShaped(`${ALTA.token}-extra`)).toBe(false);
    });

    it.each([
      ['bad hex', ALTA.token.replace(/^e8/, 'zz')],
      ['a non-numeric end', 'e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00-16698x0000-1669810000'],
      ['a non-numeric start', 'e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00-1669890000-now'],
      ['a negative-looking time', 'e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00-1669890000-+1669810000'],
      ['an end before the start', 'e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00-1669810000-1669890000'],
      ['an absurd time', 'e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00-99999999999999999999-1669890000'],
      ['an empty start', 'e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00-1669890000-'],
      ['an empty salt', 'e8bff06f373694dda657e8417fe76f6b54b69807--1669890000-1669810000'],
      ['an empty end', 'e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00--1669810000'],
      ['a 9-digit start', 'e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00-1669890000-166981000'],
      ['an 11-digit end', 'e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00-16698900000-1669810000'],
      ['a start with a leading zero', 'e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00-1669890000-0669810000'],
    ])('a token of the securetoken form with %s is malformed', (_what, token) => {
      expect(isSecuretokenShaped(token)).toBe(true);
      expect(verifySecuretoken(token, altaSubject, at(1669850000))).toEqual({ valid: false, reason: 'malformed' });
    });
  });
});
