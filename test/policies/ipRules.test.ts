import { describe, expect, it } from 'vitest';
import { ipRulesSchema } from '../../src/config/policySchema.js';
import { inRange, ipRange, parseAddress } from '../../src/ipRanges.js';
import { ipRuleMatcher } from '../../src/policies/ipRules.js';

const rules = (...texts: string[]) => ipRuleMatcher(ipRulesSchema.parse(texts));

describe('ip rules', () => {
  const match = rules(
    'allow 127.0.0.1',
    'deny 192.168.0.100',
    'pass 192.168.0.0/24',
    'deny 10.0.0.0/8',
    'allow 2001:db8::/32',
    'deny ::/0',
  );

  it.each([
    ['127.0.0.1', 'allow 127.0.0.1'],
    ['192.168.0.100', 'deny 192.168.0.100'],
    ['192.168.0.7', 'pass 192.168.0.0/24'],
    ['10.200.3.4', 'deny 10.0.0.0/8'],
    ['2001:db8:0:1::5', 'allow 2001:db8::/32'],
    ['2001:DB8::5', 'allow 2001:db8::/32'],
    ['fe80::1', 'deny ::/0'],
  ])('%s matches "%s" (the first rule that holds it wins)', (ip, text) => {
    expect(match(ip)?.text).toBe(text);
  });

  it('matches nothing for an address outside every rule, a missing or an unreadable address', () => {
    expect(match('203.0.113.7')).toBeUndefined();
    expect(match(undefined)).toBeUndefined();
    expect(match('not-an-ip')).toBeUndefined();
  });

  it('the first matching rule wins even when a later one is more specific', () => {
    const firstWins = rules('pass 192.168.0.0/16', 'deny 192.168.1.1');
    expect(firstWins('192.168.1.1')?.rule).toEqual({ action: 'pass', range: '192.168.0.0/16' });
  });

  it('an IPv4-mapped IPv6 viewer address is compared as IPv4', () => {
    expect(match('::ffff:10.1.2.3')?.text).toBe('deny 10.0.0.0/8');
    expect(match('::ffff:127.0.0.1')?.text).toBe('allow 127.0.0.1');
  });

  it('an IPv4-mapped IPv6 rule covers the IPv4 addresses it maps', () => {
    const mapped = rules('deny ::ffff:10.0.0.0/104', 'allow ::ffff:192.0.2.1');
    expect(mapped('10.9.9.9')?.rule.action).toBe('deny');
    expect(mapped('192.0.2.1')?.rule.action).toBe('allow');
    expect(mapped('192.0.2.2')).toBeUndefined();
  });

  it('"any" covers every IPv4 and IPv6 address, as in Alta', () => {
    const lastResort = rules('allow 127.0.0.1', 'pass 10.0.0.0/8', 'deny any');
    expect(lastResort('127.0.0.1')?.rule.action).toBe('allow');
    expect(lastResort('10.1.1.1')?.rule.action).toBe('pass');
    expect(lastResort('203.0.113.9')?.text).toBe('deny any');
    expect(lastResort('2001:db8::1')?.text).toBe('deny any');
  });

  it('never compares addresses of different families', () => {
    expect(inRange(parseAddress('10.0.0.1')!, ipRange('::/0'))).toBe(false);
    expect(inRange(parseAddress('::1')!, ipRange('0.0.0.0/0'))).toBe(false);
  });
});
