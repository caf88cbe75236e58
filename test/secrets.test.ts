import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprint, maskOccurrences, withUrlEncoded } from '../src/secrets.js';

describe('fingerprint', () => {
  it('gives one secret one short fingerprint within a run, and other secrets others', () => {
    const first = fingerprint('0123456789abcdef0123456789abcdef');
    expect(first).toMatch(/^[0-9a-f]{12}$/);
    expect(fingerprint('0123456789abcdef0123456789abcdef')).toBe(first);
    expect(fingerprint('0123456789abcdef0123456789abcdee')).not.toBe(first);
  });

  it('is keyed: a guess hashed without the run key does not give it', () => {
    const token = 'short';
    expect(fingerprint(token)).not.toBe(createHash('sha256').update(token).digest('hex').slice(0, 12));
    expect(fingerprint(token)).not.toContain(token);
  });
});

describe('maskOccurrences', () => {
  it('replaces every occurrence of each secret, in the order the secrets are given', () => {
    expect(maskOccurrences('a hunter22 b hunter22', ['hunter22'])).toBe('a *** b ***');
    expect(maskOccurrences('abcdef', ['abcd', 'abcdef'])).toBe('***ef');
    expect(maskOccurrences('abcdef', ['abcdef', 'abcd'])).toBe('***');
  });

  it('masks a secret in any letter case, as a middleware may echo it or a URL may escape it', () => {
    expect(maskOccurrences('name-ABCDEF12 and Abcdef12', ['abcdef12'])).toBe('name-*** and ***');
    expect(maskOccurrences('/x/p%40ss%2frd', withUrlEncoded(['p@ss/rd']))).toBe('/x/***');
    // Characters a pattern would read as its own are taken as they are.
    expect(maskOccurrences('a.b*c(d) axb*c(d)', ['a.b*c(d)'])).toBe('*** axb*c(d)');
  });

  it('skips an empty secret instead of masking between every character', () => {
    expect(maskOccurrences('text', [''])).toBe('text');
    expect(maskOccurrences('text', [])).toBe('text');
  });
});

describe('withUrlEncoded', () => {
  it('gives each secret and then its encodeURIComponent form', () => {
    expect(withUrlEncoded(['p@ss w/rd', 'plain'])).toEqual(['p@ss w/rd', 'p%40ss%20w%2Frd', 'plain', 'plain']);
    expect(maskOccurrences('/x/p%40ss%20w%2Frd?k=p@ss w/rd', withUrlEncoded(['p@ss w/rd']))).toBe('/x/***?k=***');
  });
});
