import { type AdmitSession, backendAdmission, viewerSlot } from '../admission.js';
import { policySource, type StepAnswer } from '../decision.js';
import type { DecisionStep } from '../types.js';

export interface ConnectionLimitInputs {
  readonly admit: AdmitSession;
  readonly denyRedirect: string | undefined;
}

/**
 * Connection limits for middleware users: an allow that names the user
 * (`X-UserId`) and a limit (`X-Max-Sessions`) counts the viewer's session in
 * the shared store, so the limit holds across bridge instances on Redis.
 * `X-Unique: true` lets the newest session replace the older ones.
 */
export function connectionLimitStep({ admit, denyRedirect }: ConnectionLimitInputs): DecisionStep {
  const refused = (allowed: StepAnswer): StepAnswer => {
    // The Flussonic answer still names the user and the limit they are over (and nothing else of the allow); the
    // session name is the user's in statistics, as their allowed sessions are named.
    const info = allowed.answer!;
    const over = { userId: info.userId, maxSessions: info.maxSessions, sessionName: allowed.sessionName };
    return {
      allow: false,
      source: policySource('connection-limit'),
      answer: over,
      redirect: denyRedirect,
      // How the allow it overrules was had (from the cache, or the backends asked): what the metrics count it by.
      cache: allowed.cache,
      miss: allowed.miss,
    };
  };

  // A publish (`publish: check`) is no viewing: it takes no connection slot. then() rather than
  // async/await: an answer with no limit to count (nearly every miss) costs one promise, not two.
  const step: DecisionStep = (check, next) =>
    next(check).then((answer) => {
      const admission = check.viewer.publishing ? undefined : backendAdmission(answer);
      if (!admission) return answer;
      return admit(viewerSlot(check.viewer), admission).then((admitted) => (admitted ? answer : refused(answer)));
    });
  // Counting is a store write: made at once only where the counts live in this process. Nothing
  // after this step can still turn the check to the waiting way, so the count is made once.
  const admitNow = admit.now;
  step.now = (check, next) => {
    const answer = next(check);
    const admission = answer && !check.viewer.publishing ? backendAdmission(answer) : undefined;
    if (!admission) return answer;
    if (!admitNow) return undefined;
    return admitNow(viewerSlot(check.viewer), admission) ? answer : refused(answer!);
  };
  return step;
}
