import type { RouteConfig } from '../../config/schema.js';
import { policySource, type StepAnswer } from '../decision.js';
import type { DecisionStep } from '../types.js';
import { atOnce } from './atOnce.js';

export interface PublishInputs {
  readonly publish: RouteConfig['publish'];
  readonly denyRedirect: string | undefined;
}

/**
 * Publishing is not viewing: a caller asking to publish (or to reach its
 * API) is decided by the route's `publish` setting before any viewing rule
 * can let it through. `check` runs the normal order (cached apart from viewing).
 */
export function publishStep({ publish, denyRedirect }: PublishInputs): DecisionStep {
  const decided: StepAnswer =
    publish === 'allow'
      ? { allow: true, source: policySource('publish', 'allow') }
      : { allow: false, source: policySource('publish', 'deny'), redirect: denyRedirect };
  return atOnce((check) => (check.viewer.publishing && publish !== 'check' ? decided : undefined));
}
