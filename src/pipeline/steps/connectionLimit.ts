import type { BridgeConfig } from '../../config/schema.js';
import type { Store } from '../../store/types.js';
import type { Admission, DecisionStep, RouteContext, Verdict } from '../types.js';

/**
 * Counts the viewer's session against the user's limit; a session already
 * counted always gets back in. Without a session id there is nothing to
 * count, so the viewer is let in: Astra, Alta and Flussonic always send one,
 * and a viewer cannot take it out of the streaming server's request.
 */
export function admitSession(
  store: Store,
  config: BridgeConfig,
  session: string | undefined,
  admission: Admission,
): Promise<boolean> {
  if (session === undefined) return Promise.resolve(true);
  return store.admitSession({ ...admission, session, idleTtlSeconds: config.sessions.idleTtl });
}

/**
 * The count a backend allow takes: the viewer's session under its `X-UserId`,
 * up to its `X-Max-Sessions`; undefined when it names no user or no limit.
 * Also how the session tracker knows what an ended session held.
 */
export function backendAdmission(
  verdict: Pick<Verdict, 'allow' | 'userId' | 'maxSessions' | 'unique'>,
): Admission | undefined {
  if (!verdict.allow || verdict.userId === undefined || verdict.maxSessions === undefined || verdict.maxSessions < 1)
    return undefined;
  return { user: `backend:${verdict.userId}`, limit: verdict.maxSessions, unique: verdict.unique ?? false };
}

/**
 * Connection limits for middleware users: an allow that names the user
 * (`X-UserId`) and a limit (`X-Max-Sessions`) counts the viewer's session in
 * the shared store, so the limit holds across bridge instances on Redis.
 * `X-Unique: true` lets the newest session replace the older ones.
 */
export function connectionLimitStep({ config, route, adapters, store }: RouteContext): DecisionStep | undefined {
  if (adapters.length === 0) return undefined;
  return async (check, next) => {
    const verdict = await next(check);
    const admission = backendAdmission(verdict);
    if (!admission || (await admitSession(store, config, check.viewer.session, admission))) return verdict;
    return {
      allow: false,
      decidedBy: 'connection-limit',
      redirect: route.denyRedirect,
      userId: verdict.userId,
      maxSessions: verdict.maxSessions,
    };
  };
}
