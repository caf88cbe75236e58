import type { DecisionStep, RouteContext, Verdict } from '../types.js';

/**
 * Publishing is not viewing: a caller asking to publish (or to reach its
 * API) is decided by the route's `publish` setting before any viewing rule
 * can let it through. `check` runs the normal order (cached apart from viewing).
 */
export function publishStep({ route }: RouteContext): DecisionStep {
  const setting = route.publish;
  const decided: Verdict =
    setting === 'allow'
      ? { allow: true, decidedBy: 'publish (allow)' }
      : { allow: false, decidedBy: 'publish (deny)', redirect: route.denyRedirect };
  return (check, next) => (check.viewer.publishing && setting !== 'check' ? Promise.resolve(decided) : next(check));
}
