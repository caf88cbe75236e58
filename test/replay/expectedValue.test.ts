import { describe, expect, it } from 'vitest';
import { expectedValue, sha256Hex, valueMatches } from '../../src/replay/expectedValue.js';

const SECRET = 's3cret-token';
const HASHED = { sha256: sha256Hex(SECRET) };

describe('expected values', () => {
  it('match the value itself, or its SHA-256 so that a fixture need not hold a token in clear', () => {
    expect(valueMatches('a001', 'a001')).toBe(true);
    expect(valueMatches('a001', 'a002')).toBe(false);
    expect(valueMatches(HASHED, SECRET)).toBe(true);
    expect(valueMatches(HASHED, 'another-token')).toBe(false);
  });

  it('take the digest in either case of hex, and refuse what is not 64 hex digits, saying what is expected', () => {
    expect(expectedValue.parse({ sha256: HASHED.sha256.toUpperCase() })).toEqual(HASHED);
    const wrong = expectedValue.safeParse({ sha256: 'abc' });
    expect(wrong.success).toBe(false);
    expect(JSON.stringify(wrong.error?.issues)).toContain('expected 64 hex digits');
    expect(expectedValue.safeParse(7).error?.issues[0]?.message).toBe(
      'expected a string or {"sha256": "<64 hex digits>"}',
    );
  });
});
