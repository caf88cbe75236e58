import { describe, expect, it } from 'vitest';
import { isSecretConfigKey, isSecretParameterName } from '../src/secretNames.js';

describe('isSecretParameterName', () => {
  it('is true for names like tokens, passwords, keys, signatures and credentials', () => {
    for (const name of [
      'token',
      'access_token',
      'Authorization',
      'password',
      'pwd',
      'api_key',
      'X-Signature',
      'hash',
      'hmac',
      'credentials',
      'client_secret',
    ]) {
      expect(isSecretParameterName(name), name).toBe(true);
    }
  });

  it('is true for the signed-URL and session names streaming links carry', () => {
    for (const name of ['md5', 'sig', 'signature', 'Signature', 'hdnts', '__hdnea__', 'jwt', 'wmsAuthSign', 'key'])
      expect(isSecretParameterName(name), name).toBe(true);
    for (const name of ['pin', 'PIN', 'sid', 'st', 'jsessionid', 'PHPSESSID', 'otp'])
      expect(isSecretParameterName(name), name).toBe(true);
    for (const name of ['t', 'K', 'tk', 'ticket', 'code', 'nimblesessionid'])
      expect(isSecretParameterName(name), name).toBe(true);
  });

  it('is false for what a check reads as plain values: times, session numbers, channels', () => {
    for (const name of ['name', 'ip', 'proto', 'user_agent', 'session_id', 'qs', 'cookie', 'referer'])
      expect(isSecretParameterName(name), name).toBe(false);
    // A secure_link's times, and names that only contain a short secret name.
    for (const name of [
      'expires',
      'e',
      'exp',
      'start',
      'stream',
      'pinned',
      'side',
      'host',
      'request_type',
      'ts',
      'country',
    ])
      expect(isSecretParameterName(name), name).toBe(false);
  });
});

describe('isSecretConfigKey', () => {
  it("masks the config's secret keys and answer headers named like them", () => {
    for (const name of ['secret', 'password', 'passwordHash', 'token', 'apiKey', 'api_key', 'X-Signature'])
      expect(isSecretConfigKey(name), name).toBe(true);
  });

  it('keeps the settings the wide list would hide: cache.key, securetoken.hash, X-AuthDuration', () => {
    for (const name of ['key', 'hash', 'X-AuthDuration', 'sig', 'pin'])
      expect(isSecretConfigKey(name), name).toBe(false);
  });
});
