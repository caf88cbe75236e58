import type { IpRule } from '../../config/policySchema.js';
import { ipRuleMatcher } from '../../policies/ipRules.js';
import { policySource, type StepAnswer } from '../decision.js';
import type { Check, DecisionStep } from '../types.js';
import { atOnce } from './atOnce.js';

export interface IpRulesInputs {
  readonly rules: readonly IpRule[];
  readonly denyRedirect: string | undefined;
}

/**
 * README "Decision order", step 1: `allow` lets in with no further check, `deny` refuses whatever the credentials,
 * `pass` moves on.
 */
export function ipRulesStep({ rules, denyRedirect }: IpRulesInputs): DecisionStep | undefined {
  if (rules.length === 0) return undefined;
  const match = ipRuleMatcher(rules);
  /** The rule's answer, or undefined when it passes the check on. */
  const decide = (check: Check): StepAnswer | undefined => {
    const found = match(check.viewer.ip);
    if (!found || found.rule.action === 'pass') return undefined;
    if (found.rule.action === 'allow') return { allow: true, source: policySource('ip-rule', found.text) };
    return { allow: false, source: policySource('ip-rule', found.text), redirect: denyRedirect };
  };
  return atOnce(decide);
}
