import type { BridgeConfig } from '../../config/schema.js';
import type { Store } from '../../store/types.js';
import type { DecisionStep, RouteContext } from '../types.js';

export interface Admission {
  /** `local:<login>` or `backend:<X-UserId>`. */
  readonly user: string;
  readonly limit: number;
  readonly unique: boolean;
}

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
 * Connection limits for middleware users: an allow that names the user
 * (`X-UserId`) and a limit (`X-Max-Sessions`) counts the viewer's session in
 * the shared store, so the limit holds across bridge instances on Redis.
 * `X-Unique: true` lets the newest session replace the older ones.
 */
export function connectionLimitStep({ config, route, adapters, store }: RouteContext): DecisionStep | undefined {
  if (adapters.length === 0) return undefined;
  return async (check, next) => {
    const verdict = await next(check);
    if (!verdict.allow || verdict.userId === undefined || verdict.maxSessions === undefined || verdict.maxSessions < 1)
      return verdict;
    const admitted = await admitSession(store, config, check.viewer.session, {
      user: `backend:${verdict.userId}`,
      limit: verdict.maxSessions,
      unique: verdict.unique ?? false,
    });
    if (admitted) return verdict;
    return {
      allow: false,
      decidedBy: 'connection-limit',
      redirect: route.denyRedirect,
      userId: verdict.userId,
      maxSessions: verdict.maxSessions,
    };
  };
}
