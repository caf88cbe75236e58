import { describe, expect, it } from 'vitest';
import { canonicalIp, dottedTailInHex, inRange, ipRange, parseAddress } from '../src/ipRanges.js';

describe('addresses with a dotted IPv4 tail', () => {
  it('reads the IPv4-compatible ::a.b.c.d as the IPv6 address it is, not as the IPv4 a.b.c.d', () => {
    expect(dottedTailInHex('::127.0.0.1')).toBe('::7f00:1');
    expect(canonicalIp('::127.0.0.1')).toBe('::7f00:1');
    expect(canonicalIp('::7f00:1')).toBe('::7f00:1');
    expect(inRange(parseAddress('::127.0.0.1')!, ipRange('127.0.0.1'))).toBe(false);
    expect(inRange(parseAddress('::10.1.2.3')!, ipRange('10.0.0.0/8'))).toBe(false);
  });

  it('still folds the mapped ::ffff:a.b.c.d to IPv4, and leaves other forms as they are', () => {
    expect(canonicalIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(inRange(parseAddress('::ffff:10.1.2.3')!, ipRange('::ffff:10.0.0.0/104'))).toBe(true);
    expect(canonicalIp('64:ff9b::1.2.3.4')).toBe('64:ff9b::102:304');
    expect(dottedTailInHex('10.1.2.3')).toBe('10.1.2.3');
    expect(ipRange('::10.0.0.0/104').map(String)).toEqual(['::a00:0', '104']);
  });
});
