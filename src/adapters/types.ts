import type { ViewerRequest } from '../viewer.js';

/** What a middleware told the bridge besides allow/deny, already sanitized. */
export interface BackendInfo {
  readonly sessionName?: string;
  readonly userId?: string;
  readonly redirect?: string;
  readonly authDuration?: number;
  readonly maxSessions?: number;
  readonly unique?: boolean;
}

export type BackendErrorKind =
  | 'timeout'
  | 'refused'
  | 'reset'
  | 'network'
  | 'server-error'
  | 'too-large'
  /** A head over its bounds (lines, bytes) or framed ambiguously (see answerHead.ts): never read as an allow. */
  | 'bad-answer'
  | 'unparseable'
  | 'unexpected-status'
  | 'cancelled'
  /** A fault in the bridge itself while asking (a bug), not in the middleware or the network. */
  | 'internal'
  /** Not asked: the backend's circuit breaker is open (see src/resilience/circuitBreaker.ts). */
  | 'circuit-open';

/** The verdict for a fault in the bridge's own code: named for what it is, never passed off as the network's. */
export function internalFault(error: unknown): BackendVerdict {
  const kind = error instanceof Error ? error.name : typeof error;
  // The kind of fault only: a message could quote a middleware's answer or a viewer's token.
  return { outcome: 'error', error: 'internal', detail: `the bridge failed while asking the middleware (${kind})` };
}

export type BackendVerdict =
  | {
      readonly outcome: 'allow' | 'deny';
      readonly info: BackendInfo;
      /** Problems in an otherwise usable answer (e.g. a non-numeric header), for the log. */
      readonly notes: readonly string[];
      /** Decided by the adapter without asking the middleware, so it says nothing about the middleware's health. */
      readonly unasked?: true;
    }
  | {
      readonly outcome: 'error';
      readonly error: BackendErrorKind;
      readonly detail: string;
      /**
       * A request under way that the route's budget cut off (a `cancelled` the breaker does not count): the
       * middleware was asked and did not answer in the time it had, a `timeout` to `backend_requests_total`.
       */
      readonly cutByBudget?: true;
    };

/**
 * How long a check may take, and what may end it sooner. A deadline costs
 * nothing to pass on; a signal (an AbortController and a listener per
 * request) is given only where something may cancel a check before it.
 */
export interface AskLimits {
  /** When the route's time budget is spent, in `performance.now()` milliseconds: no answer is awaited past it. */
  readonly deadline: number;
  /** Cancels the check before its deadline (another backend allowed first in `mode: any`). */
  readonly signal?: AbortSignal;
}

/**
 * One middleware, asked in its own dialect. `check` never rejects: every
 * failure comes back as an `error` verdict, so a route can always decide.
 */
export interface MiddlewareAdapter {
  readonly name: string;
  check(viewer: ViewerRequest, limits: AskLimits): Promise<BackendVerdict>;
}
