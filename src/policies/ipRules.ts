import type { IpRule } from '../config/policySchema.js';
import { inRange, ipRange, parseAddress, type IpRange } from '../ipRanges.js';

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
  const compiled = rules.map((rule) => ({
    rule,
    text: `${rule.action} ${rule.range}`,
    ranges: ruleRanges(rule.range),
  }));
  return (ip) => {
    const address = parseAddress(ip);
    if (!address) return undefined;
    const found = compiled.find(({ ranges }) => ranges.some((range) => inRange(address, range)));
    return found && { rule: found.rule, text: found.text };
  };
}
