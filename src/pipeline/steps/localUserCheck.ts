import type { LocalUsers } from '../../policies/users/localUsers.js';
import { type DirectoryUser, userRefusal } from '../../policies/users/directory.js';
import { type Admission, type AdmitSession, viewerSlot } from '../admission.js';
import { policySource, type StepAnswer } from '../decision.js';
import type { Check, DecisionStep } from '../types.js';

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

/** What a user's check still needs after the account itself passed: a count against the user's limit, if any. */
interface Pending {
  readonly user: DirectoryUser;
  readonly now: number;
  /** Undefined: the account's own state already decides (`refusal`, or no limit to count against). */
  readonly admission: Admission | undefined;
  readonly refusal: string | undefined;
}

/**
 * README "Decision order", step 3: a `token` or `auth=login:password` naming a local user
 * decides: enabled, not expired, from an allowed IP, a channel of the user's
 * packages, within the connection limit. An unknown token or a wrong password
 * passes on, so a middleware user with the same login can still get in.
 * A token, a plain password or a hashed one checked in the last minute is
 * answered at once when the connection counts live in this process.
 */
export function localUsersStep(inputs: LocalUserInputs): DecisionStep | undefined {
  const { users, admit, allowTtl, denyRedirect } = inputs;
  if (!users) return undefined;

  const judge = (check: Check, user: DirectoryUser): Pending => {
    const now = inputs.now() / 1000;
    const refusal = userRefusal(user, check.viewer, now);
    // A publish (`publish: check`) is no viewing: it takes no connection slot.
    const { session, publishing } = check.viewer;
    const limited = !refusal && user.maxConnections !== undefined && session !== undefined && !publishing;
    const admission = limited ? { user: `local:${user.login}`, limit: user.maxConnections!, unique: false } : undefined;
    return { user, now, admission, refusal };
  };
  const answer = ({ user, now, admission, refusal }: Pending, admitted: boolean): StepAnswer => {
    const why = refusal ?? (admitted ? undefined : 'over connection limit');
    if (why) return { allow: false, source: policySource('user', why, user.login), redirect: denyRedirect };
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

  const step: DecisionStep = async (check, next) => {
    // A hashed password may wait for the thread pool: from here on the route's time budget runs.
    check.startBudget();
    const user = await users.identify(check.viewer);
    if (!user) return next(check);
    const pending = judge(check, user);
    const { admission } = pending;
    return answer(pending, admission === undefined || (await admit(viewerSlot(check.viewer), admission)));
  };
  // Counting is a store write: made at once only where the counts live in this process. Once counted,
  // the step has answered, so nothing after it can turn the check to the waiting way and count again.
  const admitNow = admit.now;
  step.now = (check, next) => {
    const { viewer } = check;
    if (viewer.token === undefined && viewer.credentials === undefined) return next(check);
    const identified = users.identifyNow(viewer);
    if (!identified) return undefined;
    if (!identified.user) return next(check);
    const pending = judge(check, identified.user);
    const { admission } = pending;
    if (admission === undefined) return answer(pending, true);
    return admitNow && answer(pending, admitNow(viewerSlot(viewer), admission));
  };
  return step;
}
