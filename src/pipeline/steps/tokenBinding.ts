import type { Store } from '../../store/types.js';
import { bindingKey } from '../cacheKey.js';
import { decidingBackend, policySource, type StepAnswer } from '../decision.js';
import type { Check, DecisionStep } from '../types.js';

export interface TokenBindingInputs {
  /** The route's backends with `bindTokenToIp`. */
  readonly binding: ReadonlySet<string>;
  readonly store: Store;
  /** How long an answer holds (the binding lives as long as the allow). */
  readonly lifetime: (answer: StepAnswer) => number;
  readonly denyRedirect: string | undefined;
  /**
   * Forgets the decision the cache holds for a check (undefined when nothing is cached): the allow of a viewer this
   * step refused must not answer for it later, stale while the middleware fails, once the binding has ended.
   */
  readonly forgetCached?: (check: Check) => void;
}

type Binding = { readonly ip: string };

/**
 * `bindTokenToIp`: a token a binding backend allowed for one IP is denied
 * from any other IP while the binding lives (as long as that allow), without
 * asking the middleware, and from a check that names no IP. Ministra's tokens
 * are bound to nothing otherwise. A check with no IP binds nothing.
 */
export function tokenBindingStep({
  binding,
  store,
  lifetime,
  denyRedirect,
  forgetCached,
}: TokenBindingInputs): DecisionStep | undefined {
  if (binding.size === 0) return undefined;
  const refused: StepAnswer = { allow: false, source: policySource('token-binding'), redirect: denyRedirect };

  const step: DecisionStep = async (check, next) => {
    const { token, ip } = check.viewer;
    if (!token) return next(check);
    const key = bindingKey(token);
    const bound = await store.get<Binding>(key);
    // A bound token checked with no IP cannot be shown to come from its IP: refused, not waved through.
    if (bound && bound.ip !== ip) return refused;
    const answer = await next(check);
    if (!ip) return answer;
    const backend = decidingBackend(answer);
    if (bound || !answer.allow || answer.cache !== undefined || backend === undefined || !binding.has(backend))
      return answer;
    // Atomic, so of two viewers allowed at the same moment from different IPs the first to claim the token keeps it.
    const owner = await store.claim(key, { ip }, lifetime(answer));
    if (owner === undefined || owner.ip === ip) return answer;
    // Another IP claimed the token first: the allow the cache just stored for this one is forgotten with it.
    forgetCached?.(check);
    return refused;
  };
  // Only a binding held in this process answers at once: one not seen here may still be held elsewhere.
  step.now = (check, next) => {
    const { token, ip } = check.viewer;
    if (!token) return next(check);
    const bound = store.getNow?.<Binding>(bindingKey(token));
    if (bound === undefined) return undefined;
    if (bound.ip !== ip) return refused;
    // With a binding held nothing is claimed, as on the waiting path.
    return next(check);
  };
  return step;
}
