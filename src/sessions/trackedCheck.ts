import type { BackendInfo } from '../adapters/types.js';
import type { CheckAnswered } from '../observe.js';
import type { Decision } from '../pipeline/decision.js';
import type { ViewerRequest } from '../viewer.js';

/**
 * What the session tracker reads of an answered check, and no more. A whole
 * `CheckAnswered` is one; under `serve --workers N` the other workers send
 * the lead only this (see src/cluster/eventRelay.ts), so the compiler keeps
 * what they send and what the tracker reads the same.
 */
export interface TrackedCheck {
  readonly route: string;
  readonly protocol: string;
  readonly caller: string | undefined;
  readonly by: CheckAnswered['by'];
  readonly viewer:
    | (Pick<ViewerRequest, 'session' | 'channel' | 'ip' | 'userAgent' | 'token' | 'publishing'> & {
        readonly credentials?: Pick<NonNullable<ViewerRequest['credentials']>, 'login'>;
      })
    | undefined;
  readonly decision: TrackedDecision | undefined;
  /** How long the check took to answer: one answered after its session's end may have begun before it. */
  readonly durationMs?: number;
}

export type TrackedDecision = Pick<Decision, 'allow' | 'source' | 'sessionName' | 'countedAs'> & {
  readonly answer?: Pick<BackendInfo, 'sessionName' | 'userId' | 'maxSessions' | 'unique'>;
};

/**
 * The tracker's part of a check that counts in a session (a viewing one with a session id and a decision); undefined
 * for any other.
 */
export function trackedCheckOf(
  event: CheckAnswered,
): (TrackedCheck & { readonly viewer: { session: string } }) | undefined {
  const { viewer, decision } = event;
  if (!viewer?.session || !decision || viewer.publishing) return undefined;
  const { session, channel, ip, userAgent, token, credentials } = viewer;
  const { allow, source, sessionName, countedAs, answer } = decision;
  return {
    route: event.route,
    protocol: event.protocol,
    caller: event.caller,
    by: event.by,
    durationMs: event.durationMs,
    viewer: {
      session,
      channel,
      ip,
      userAgent,
      token,
      credentials: credentials && { login: credentials.login },
    },
    decision: {
      allow,
      source,
      sessionName,
      countedAs,
      answer: answer && {
        sessionName: answer.sessionName,
        userId: answer.userId,
        maxSessions: answer.maxSessions,
        unique: answer.unique,
      },
    },
  };
}
