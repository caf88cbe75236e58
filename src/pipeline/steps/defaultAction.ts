import type { RouteConfig } from '../../config/schema.js';
import type { Verdict } from '../types.js';

/** The route's last word when no earlier step decided. */
export function defaultAction(route: RouteConfig): () => Promise<Verdict> {
  const verdict: Verdict =
    route.default === 'allow'
      ? { allow: true, decidedBy: 'default' }
      : { allow: false, decidedBy: 'default', redirect: route.denyRedirect };
  return () => Promise.resolve(verdict);
}
