import { describe, expect, it } from 'vitest';
import { trustedCallerClassifier } from '../../src/server/callers.js';

describe('trustedCallerClassifier', () => {
  const check = trustedCallerClassifier([
    '127.0.0.0/8',
    '::1/128',
    '10.1.2.3',
    '2001:db8::/32',
    '::ffff:192.168.0.0/120',
  ]);

  it.each([
    ['127.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['::1', true],
    ['10.1.2.3', true],
    ['10.1.2.4', false],
    ['2001:db8::abcd', true],
    ['2001:db9::1', false],
    ['192.168.0.77', true],
    ['::ffff:192.168.0.77', true],
    ['192.168.1.1', false],
    ['garbage', false],
  ])('%s trusted: %s', (address, trusted) => {
    expect(check(address).trusted).toBe(trusted);
  });

  it('reports IPv4-mapped callers in the IPv4 form trustedCallers takes', () => {
    expect(check('::ffff:203.0.113.9').address).toBe('203.0.113.9');
    expect(trustedCallerClassifier(['::ffff:203.0.113.9'])('203.0.113.9').trusted).toBe(true);
  });

  it('trusts nobody without an address', () => {
    expect(check(undefined)).toEqual({ address: undefined, trusted: false });
  });
});
