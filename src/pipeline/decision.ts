import type { BackendInfo } from '../adapters/types.js';
import type { Admission } from './admission.js';

/** The local policies of the decision order (README "Decision order"), as the log and metrics name them. */
export const POLICY_KINDS = ['publish', 'ip-rule', 'securetoken', 'user', 'token-binding', 'connection-limit'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/**
 * Who decided. Made once where it can be (a backend's, a route's default) and shared by every
 * decision it makes, its `by` text with it: the log line of a cached hit builds no string.
 */
export type DecisionSource =
  | { readonly kind: 'backend'; readonly backend: string; readonly by: string }
  | { readonly kind: 'policy'; readonly policy: PolicyKind; readonly subject?: string; readonly by: string }
  | { readonly kind: 'default'; readonly by: string };

/** `<what>`, `<what>:<subject>`, `<what> (<detail>)`: the one place the decision log's `by` text is spelled. */
function byText(what: string, subject: string | undefined, detail: string | undefined): string {
  const named = subject === undefined ? what : `${what}:${subject}`;
  return detail === undefined ? named : `${named} (${detail})`;
}

export function backendSource(backend: string): DecisionSource {
  return { kind: 'backend', backend, by: byText('backend', backend, undefined) };
}

/** A policy's decision: `subject` names whose (a local user's login), `detail` why (`expired`, the rule matched). */
export function policySource(policy: PolicyKind, detail?: string, subject?: string): DecisionSource {
  return { kind: 'policy', policy, subject, by: byText(policy, subject, detail) };
}

export const DEFAULT_SOURCE: DecisionSource = { kind: 'default', by: byText('default', undefined, undefined) };

/** The bridge's answer for one viewer, before it is written in a caller's dialect. */
export interface Decision {
  readonly allow: boolean;
  readonly source: DecisionSource;
  /** How long the decision stays valid, in seconds (Flussonic's `X-AuthDuration`). */
  readonly ttlSeconds: number;
  /**
   * What the deciding backend said, by reference (also when it comes from the cache): who the
   * viewer is to the middleware and their limits. Also kept by a connection-limit deny, which
   * names the limit it held the viewer to. Absent when no backend answer stands behind the decision.
   */
  readonly answer?: BackendInfo;
  /** Who is watching, on an allow: the backend's `X-Session-Name` (else `X-UserId`), or the local user's login. */
  readonly sessionName?: string;
  /** Where a denied viewer is sent: a denying backend's redirect, else the route's `denyRedirect`. */
  readonly redirect?: string;
  /** Set when the answer came from the cache: `stale` means past its TTL, served because the backends failed. */
  readonly cache?: 'hit' | 'stale';
  /**
   * Set when the cache was asked, had no fresh answer and the backends were asked: `asked` by
   * this check, `joined` when it waited for an identical check already asking them (metrics only).
   */
  readonly miss?: 'asked' | 'joined';
  /**
   * The local user's connection limit this allow's session was counted under (a backend allow's
   * count follows from `answer`): what is freed when the session ends.
   */
  readonly countedAs?: Admission;
}

/** A decision before the route has settled its lifetime (a step's answer). */
export type StepAnswer = Omit<Decision, 'ttlSeconds'> & { readonly ttlSeconds?: number };

/** The deciding backend's name, when a backend's answer decided. */
export function decidingBackend(answer: Pick<Decision, 'source'>): string | undefined {
  return answer.source.kind === 'backend' ? answer.source.backend : undefined;
}

/** Every field of a step's answer, present or not: a copy that names them all cannot leave one behind. */
type EveryField = { [K in keyof Required<StepAnswer>]: StepAnswer[K] };

/**
 * A copy of `answer` field by field, with its lifetime and miss as given. An object spread with
 * one field more allocated about ten times the object itself (measured: 390 B against 40 B for
 * this answer), on every miss, once in the cache step and once when the route settles the lifetime.
 */
function copied(answer: StepAnswer, ttlSeconds: number | undefined, miss: StepAnswer['miss']): EveryField {
  return {
    allow: answer.allow,
    source: answer.source,
    ttlSeconds,
    answer: answer.answer,
    sessionName: answer.sessionName,
    redirect: answer.redirect,
    cache: answer.cache,
    miss,
    countedAs: answer.countedAs,
  };
}

/** `answer` as a miss: `asked` by this check, or `joined` to an identical one already asking. */
export function withMiss(answer: StepAnswer, miss: 'asked' | 'joined'): StepAnswer {
  return copied(answer, answer.ttlSeconds, miss);
}

/** `answer` with the lifetime the route settled for it. */
export function withLifetime(answer: StepAnswer, ttlSeconds: number): Decision {
  return copied(answer, ttlSeconds, answer.miss) as Decision;
}
