import type { LocalUsers } from '../../policies/users/localUsers.js';
import { userRefusal } from '../../policies/users/directory.js';
import type { AdmitSession } from '../admission.js';
import { policySource } from '../decision.js';
import type { DecisionStep } from '../types.js';

export interface LocalUserInputs {
  /** Local users (config `users` and `usersFile`); undefined when none are configured. */
  readonly users: LocalUsers | undefined;
  readonly admit: AdmitSession;
  /** `cache.allowTtl`: a local user's allow holds no longer than an allow would. */
  readonly allowTtl: number;
  readonly denyRedirect: string | undefined;
  /** Milliseconds since the epoch: an account's expiry is judged by it. */
  readonly now: () => number;
}

/**
 * README "Decision order", step 3: a `token` or `auth=login:password` naming a local user
 * decides: enabled, not expired, from an allowed IP, a channel of the user's
 * packages, within the connection limit. An unknown token or a wrong password
 * passes on, so a middleware user with the same login can still get in.
 */
export function localUsersStep({
  users,
  admit,
  allowTtl,
  denyRedirect,
  now: clockNow,
}: LocalUserInputs): DecisionStep | undefined {
  if (!users) return undefined;
  const step: DecisionStep = async (check, next) => {
    // A hashed password may wait for the thread pool: from here on the route's time budget runs.
    check.startBudget();
    const user = await users.identify(check.viewer);
    if (!user) return next(check);
    const now = clockNow() / 1000;
    let refusal: string | undefined = userRefusal(user, check.viewer, now);
    const limited = user.maxConnections !== undefined && check.viewer.session !== undefined;
    const admission = limited ? { user: `local:${user.login}`, limit: user.maxConnections!, unique: false } : undefined;
    if (!refusal && admission && !(await admit(check.viewer.session, admission))) refusal = 'over connection limit';
    if (refusal) return { allow: false, source: policySource('user', refusal, user.login), redirect: denyRedirect };
    // The answer stays valid no longer than the account does.
    const untilExpiry = user.expires === undefined ? Infinity : Math.ceil(user.expires - now);
    return {
      allow: true,
      source: policySource('user', undefined, user.login),
      sessionName: user.login,
      countedAs: admission,
      ttlSeconds: Math.min(allowTtl, untilExpiry),
    };
  };
  // Naming no one, the viewer cannot be a local user; whoever names someone is looked up the waiting way.
  step.now = (check, next) =>
    check.viewer.token === undefined && check.viewer.credentials === undefined ? next(check) : undefined;
  return step;
}
