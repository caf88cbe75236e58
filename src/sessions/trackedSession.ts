import { randomUUID } from 'node:crypto';
import { type Admission, backendAdmission } from '../pipeline/admission.js';
import type { Linked } from './checkOrder.js';
import { fingerprint } from '../secrets.js';
import { shownChannel } from '../secretText.js';
import type { TrackedCheck, TrackedDecision } from './trackedCheck.js';
import { type NamedUser, namedUser, withoutToken } from './sessionUser.js';
import type { SessionRow } from './types.js';

/** What the tracker knows of a live session beyond its row: what limits and revoke match on. */
export interface TrackedSession extends Linked<TrackedSession> {
  row: SessionRow;
  readonly key: string;
  login?: string;
  /** The backend's `X-Session-Name`: a revoke by login names it too. */
  sessionName?: string;
  userId?: string;
  /**
   * Fingerprints of the `X-Session-Name` and `X-UserId` as the backend gave them, when they held the viewer's
   * token and are kept masked (`user-***`): a revoke naming them in clear still finds the session.
   */
  hidden?: HiddenNames;
  tokenFingerprint?: string;
  /** The connection limit its latest allow was counted under, if any. */
  counted?: Admission;
  /** When the row was last handed to the sink, to write a long session's progress now and then. */
  written: number;
}

export interface HiddenNames {
  readonly sessionName?: string;
  readonly userId?: string;
}

/** The fingerprints of the names a check gives that `named` holds masked; undefined when none is (nearly always). */
export function hiddenNamesOf(decision: TrackedDecision, named: NamedUser): HiddenNames | undefined {
  const { sessionName } = decision;
  const userId = decision.answer?.userId;
  const nameHidden = sessionName !== undefined && sessionName !== named.sessionName;
  const userIdHidden = userId !== undefined && userId !== named.userId;
  if (!nameHidden && !userIdHidden) return undefined;
  return {
    sessionName: nameHidden ? fingerprint(sessionName) : undefined,
    userId: userIdHidden ? fingerprint(userId) : undefined,
  };
}

/** Who a viewer is, for closing their sessions: never a token in clear once it is here. */
export type ViewerIdentity = { readonly login: string } | { readonly userId: string } | { readonly token: string };

/**
 * What the connection-limit count holds of the session after this decision: `held` itself when
 * the backend counts it as before (nearly every repeated check), so that nothing is made again.
 */
export function countedAs(decision: TrackedDecision, held?: Admission): Admission | undefined {
  if (decision.countedAs !== undefined) return decision.countedAs;
  const userId = decision.answer?.userId;
  // `backend:<X-UserId>`, as backendAdmission names it, told without building the name.
  const sameUser =
    held !== undefined &&
    userId !== undefined &&
    held.user.length === userId.length + 8 &&
    held.user.startsWith('backend:') &&
    held.user.endsWith(userId);
  const same =
    sameUser &&
    decision.allow &&
    decision.answer!.maxSessions === held.limit &&
    (decision.answer!.unique ?? false) === held.unique;
  return same ? held : backendAdmission(decision);
}

/** The session a check of a session not seen before starts (its viewer and decision are known). */
export function startedSession(event: TrackedCheck, key: string, now: number): TrackedSession {
  const viewer = event.viewer!;
  const decision = event.decision!;
  const named = namedUser(event);
  const { user, login, sessionName, userId } = named;
  const row: SessionRow = {
    id: randomUUID(),
    route: event.route,
    protocol: event.protocol,
    caller: event.caller,
    session: viewer.session!,
    user,
    // Kept, listed and written as logged: a name carrying a query has its secrets masked.
    channel: shownChannel(viewer.channel, viewer.token),
    ip: viewer.ip,
    // Some players put the viewer's token in their User-Agent: masked, as in the name.
    userAgent: withoutToken(viewer.userAgent, viewer.token),
    firstSeen: now,
    lastSeen: now,
    decision: decision.allow ? 'allow' : 'deny',
    by: event.by,
    allowed: decision.allow,
  };
  return {
    row,
    key,
    login,
    sessionName,
    userId,
    hidden: hiddenNamesOf(decision, named),
    tokenFingerprint: viewer.token === undefined ? undefined : fingerprint(viewer.token),
    counted: countedAs(decision),
    written: now,
    older: undefined,
    newer: undefined,
  };
}

/** Whether a live session belongs to the viewer named by `identity`. */
export function belongsTo(session: TrackedSession, identity: ViewerIdentity): boolean {
  const { hidden } = session;
  if ('login' in identity)
    return (
      session.login === identity.login ||
      session.sessionName === identity.login ||
      (hidden?.sessionName !== undefined && hidden.sessionName === fingerprint(identity.login))
    );
  if ('userId' in identity)
    return (
      session.userId === identity.userId ||
      (hidden?.userId !== undefined && hidden.userId === fingerprint(identity.userId))
    );
  return session.tokenFingerprint !== undefined && session.tokenFingerprint === fingerprint(identity.token);
}
