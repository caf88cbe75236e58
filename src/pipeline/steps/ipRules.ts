import { ipRuleMatcher } from '../../policies/ipRules.js';
import type { DecisionStep, RouteContext } from '../types.js';

/** Step 1 of the README's "Decision order": `allow` lets in with no further check, `deny` refuses whatever the credentials, `pass` moves on. */
export function ipRulesStep({ config, route }: RouteContext): DecisionStep | undefined {
  if (config.ipRules.length === 0) return undefined;
  const match = ipRuleMatcher(config.ipRules);
  return (check, next) => {
    const found = match(check.viewer.ip);
    if (!found || found.rule.action === 'pass') return next(check);
    const decidedBy = `ip-rule (${found.text})`;
    if (found.rule.action === 'allow') return Promise.resolve({ allow: true, decidedBy });
    return Promise.resolve({ allow: false, decidedBy, redirect: route.denyRedirect });
  };
}
