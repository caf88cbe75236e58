import { userRefusal } from '../../policies/users/directory.js';
import type { DecisionStep, RouteContext } from '../types.js';
import { admitSession } from './connectionLimit.js';

/**
 * Step 3 of the README's "Decision order": a `token` or `auth=login:password` naming a local user
 * decides: enabled, not expired, from an allowed IP, a channel of the user's
 * packages, within the connection limit. An unknown token or a wrong password
 * passes on, so a middleware user with the same login can still get in.
 */
export function localUsersStep({ localUsers, config, route, store }: RouteContext): DecisionStep | undefined {
  if (!localUsers) return undefined;
  return async (check, next) => {
    // A hashed password may wait for the thread pool: from here on the route's time budget runs.
    check.startBudget();
    const user = await localUsers.identify(check.viewer);
    if (!user) return next(check);
    const now = Date.now() / 1000;
    let refusal: string | undefined = userRefusal(user, check.viewer, now);
    const limited = user.maxConnections !== undefined && check.viewer.session !== undefined;
    const admission = limited ? { user: `local:${user.login}`, limit: user.maxConnections!, unique: false } : undefined;
    if (!refusal && admission && !(await admitSession(store, config, check.viewer.session, admission)))
      refusal = 'over connection limit';
    if (refusal) return { allow: false, decidedBy: `user:${user.login} (${refusal})`, redirect: route.denyRedirect };
    // The answer stays valid no longer than the account does.
    const untilExpiry = user.expires === undefined ? Infinity : Math.ceil(user.expires - now);
    return {
      allow: true,
      decidedBy: `user:${user.login}`,
      sessionName: user.login,
      countedAs: admission,
      ttlSeconds: Math.min(config.cache.allowTtl, untilExpiry),
    };
  };
}
