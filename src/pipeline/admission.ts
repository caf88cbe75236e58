import type { BackendInfo } from '../adapters/types.js';
import type { SessionAdmission, Store } from '../store/types.js';
import type { ViewerRequest } from '../viewer.js';

export interface Admission {
  /** `local:<login>` or `backend:<X-UserId>`. */
  readonly user: string;
  readonly limit: number;
  readonly unique: boolean;
}

/** The parts of a decision the count reads: spelled here, as decision.ts imports Admission from this file. */
interface BackendAllow {
  readonly allow: boolean;
  readonly answer?: Pick<BackendInfo, 'userId' | 'maxSessions' | 'unique'>;
}

/**
 * The count a backend allow takes: the viewer's session under its `X-UserId`, up to its
 * `X-Max-Sessions`; undefined when it names no user or no limit. Also how the session tracker
 * knows what an ended session held.
 */
export function backendAdmission({ allow, answer }: BackendAllow): Admission | undefined {
  if (!allow || answer?.userId === undefined || answer.maxSessions === undefined || answer.maxSessions < 1)
    return undefined;
  return { user: `backend:${answer.userId}`, limit: answer.maxSessions, unique: answer.unique ?? false };
}

/**
 * The slot one viewing session takes in its user's count: its session id as its streaming server
 * (`caller`) and caller protocol name it, for that viewer address. Session ids are the server's
 * own (nginx-rtmp's `clientid` counts 1, 2, ... on every server), so the same id from another
 * server, protocol or viewer is another session, never one already counted. Undefined without a
 * session id. The other parts hold no line break, so the last part cannot be mistaken for them.
 */
export function sessionSlot(
  protocol: string,
  caller: string | undefined,
  ip: string | undefined,
  session: string | undefined,
): string | undefined {
  return session === undefined ? undefined : `${protocol}\n${caller ?? ''}\n${ip ?? ''}\n${session}`;
}

/** The slot of the viewer's session (see sessionSlot). */
export function viewerSlot(viewer: ViewerRequest): string | undefined {
  return sessionSlot(viewer.dialect, viewer.caller, viewer.ip, viewer.session);
}

/** Counts viewing sessions (their slots, see sessionSlot) against a user's limit; true when the session may watch. */
export interface AdmitSession {
  (session: string | undefined, admission: Admission): Promise<boolean>;
  /** The same at once, where the counts live in this process (the memory store); absent elsewhere. */
  now?: (session: string | undefined, admission: Admission) => boolean;
}

/**
 * Connection limits as both limiting steps (local users, middleware users) count them: in the
 * shared store, a session already counted always getting back in. Without a session id there is
 * nothing to count, so the viewer is let in: Astra, Alta and Flussonic always send one, and a
 * viewer cannot take it out of the streaming server's request.
 */
export function sessionAdmitter(store: Store, idleTtlSeconds: number): AdmitSession {
  const request = (session: string, admission: Admission): SessionAdmission => ({
    ...admission,
    session,
    idleTtlSeconds,
  });
  const admit: AdmitSession = (session, admission) =>
    session === undefined ? Promise.resolve(true) : store.admitSession(request(session, admission));
  const admitNow = store.admitSessionNow?.bind(store);
  if (admitNow) admit.now = (session, admission) => session === undefined || admitNow(request(session, admission));
  return admit;
}
