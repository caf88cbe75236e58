import ipaddr from 'ipaddr.js';
import { parseRange } from '../config/fields.js';
import type { IpRule } from '../config/policySchema.js';

export type IpRange = readonly [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * A configured address or CIDR, as viewer addresses are compared with it. An
 * IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) becomes the IPv4 range it
 * covers, because viewer addresses arrive with mapped IPv4 folded to IPv4.
 */
export function ipRange(text: string): IpRange {
  const parsed = parseRange(text);
  if (!parsed) throw new Error(`not an IP address or CIDR: ${text}`);
  const [address, bits] = parsed;
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [address, bits];
}

/** The viewer's address, IPv4-mapped IPv6 folded to IPv4; undefined when it is not an address. */
export function viewerAddress(ip: string | undefined): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ip === undefined || !ipaddr.isValid(ip)) return undefined;
  return ipaddr.process(ip);
}

export function inRange(address: ipaddr.IPv4 | ipaddr.IPv6, [network, bits]: IpRange): boolean {
  // ipaddr.js refuses to compare addresses of different families.
  return address.kind() === network.kind() && address.match(network, bits);
}

/** The ranges a rule covers: `any` is every IPv4 and every IPv6 address. */
function ruleRanges(range: string): IpRange[] {
  return range === 'any' ? [ipRange('0.0.0.0/0'), ipRange('::/0')] : [ipRange(range)];
}

export interface IpRuleMatch {
  readonly rule: IpRule;
  /** The rule as written, for the decision log. */
  readonly text: string;
}

/** The first rule whose range holds the viewer's address (first match wins), or undefined. */
export function ipRuleMatcher(rules: readonly IpRule[]): (ip: string | undefined) => IpRuleMatch | undefined {
  const compiled = rules.map((rule) => ({ rule, text: `${rule.action} ${rule.range}`, ranges: ruleRanges(rule.range) }));
  return (ip) => {
    const address = viewerAddress(ip);
    if (!address) return undefined;
    const found = compiled.find(({ ranges }) => ranges.some((range) => inRange(address, range)));
    return found && { rule: found.rule, text: found.text };
  };
}
