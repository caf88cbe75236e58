import { bindingKey } from '../cacheKey.js';
import { lifetimeOf, type DecisionStep, type RouteContext } from '../types.js';

/**
 * `bindTokenToIp`: a token a binding backend allowed for one IP is denied
 * from any other IP while the binding lives (as long as that allow), without
 * asking the middleware. Ministra's tokens are bound to nothing otherwise.
 */
export function tokenBindingStep({ config, route, store }: RouteContext): DecisionStep | undefined {
  const binding = new Set(route.backends.filter((name) => config.backends[name]!.bindTokenToIp));
  if (binding.size === 0) return undefined;

  return async (check, next) => {
    const { token, ip } = check.viewer;
    if (!token || !ip) return next(check);
    const key = bindingKey(token);
    const bound = await store.get<{ ip: string }>(key);
    if (bound && bound.ip !== ip) return { allow: false, decidedBy: 'token-binding', redirect: route.denyRedirect };
    const verdict = await next(check);
    if (
      bound ||
      !verdict.allow ||
      verdict.cache !== undefined ||
      verdict.backend === undefined ||
      !binding.has(verdict.backend)
    )
      return verdict;
    // Atomic, so of two viewers allowed at the same moment from different IPs the first to claim the token keeps it.
    const owner = await store.claim(key, { ip }, lifetimeOf(config.cache, verdict));
    if (owner === undefined || owner.ip === ip) return verdict;
    return { allow: false, decidedBy: 'token-binding', redirect: route.denyRedirect };
  };
}
