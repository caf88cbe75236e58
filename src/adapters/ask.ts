import type { BodyRule } from '../config/schema.js';
import type { RequestWriter } from '../protocols/types.js';
import { readAnswer } from './readAnswer.js';
import { TransportError, type MiddlewareAnswer, type MiddlewareClient, type OutboundRequest } from './transport.js';
import { type AskLimits, internalFault, type BackendVerdict, type MiddlewareAdapter } from './types.js';

export interface AskOptions {
  readonly timeoutMs: number;
  readonly body?: BodyRule;
  /** What a 3xx means: `deny` (with the redirect), or `allow` as old Flussonic granted on 302. */
  readonly redirect?: 'deny' | 'allow';
  /**
   * For a middleware whose answer body decides (or carries the allow's duration): given the verdict of
   * the status and headers and the answer, whose body is then kept, returns the verdict. A throw is an
   * `internal` error, never an allow.
   */
  readonly readBody?: (verdict: BackendVerdict, answer: MiddlewareAnswer) => BackendVerdict;
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

function verdictOf(answer: MiddlewareAnswer, options: AskOptions): BackendVerdict {
  try {
    const headed = readAnswer(answer, options.body);
    const verdict = options.readBody === undefined ? headed : options.readBody(headed, answer);
    if (options.redirect !== 'allow' || !isRedirect(answer.status) || verdict.outcome !== 'deny') return verdict;
    return { ...verdict, outcome: 'allow', info: { ...verdict.info, redirect: undefined } };
  } catch (error) {
    return internalFault(error);
  }
}

function failureOf(error: unknown): BackendVerdict {
  if (error instanceof TransportError) return { outcome: 'error', error: error.kind, detail: error.message };
  return internalFault(error);
}

/**
 * The route's budget ran out before this backend's turn: not asked. Cut short while it was asked (BUDGET_CUT), the
 * middleware was not slow past its own `timeoutMs`, so its circuit breaker does not count either (as with any other
 * cancel); the metrics count the cut request as a timeout.
 */
const BUDGET_SPENT: BackendVerdict = {
  outcome: 'error',
  error: 'cancelled',
  detail: "the route's time budget was spent before the answer came",
};
const BUDGET_CUT: BackendVerdict = { ...BUDGET_SPENT, cutByBudget: true };

/** A timeout at the route's deadline, which came before the backend's own `timeoutMs`, is the budget's. */
function budgetCutOrFailure(error: unknown): BackendVerdict {
  return error instanceof TransportError && error.kind === 'timeout' ? BUDGET_CUT : failureOf(error);
}

/** `http://user:password@host/` in a backend URL means HTTP Basic authentication. */
function basicAuthorization(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

/**
 * An adapter that sends every check to one endpoint, written in one
 * protocol, and reads the answer; its checks never reject. Only a `body`
 * rule or `readBody` reads an answer's body: without them the body is counted, not kept.
 */
export function endpointAdapter(
  name: string,
  endpoint: string,
  write: RequestWriter,
  options: AskOptions,
  client: MiddlewareClient,
): MiddlewareAdapter {
  const base = new URL(endpoint);
  const authorization = basicAuthorization(base);
  const body = options.body === undefined && options.readBody === undefined ? 'discard' : 'read';
  const read = (answer: MiddlewareAnswer) => verdictOf(answer, options);
  const outboundFor: (outbound: OutboundRequest) => OutboundRequest =
    authorization === undefined
      ? (outbound) => outbound
      : (outbound) => ({ ...outbound, headers: { ...outbound.headers, authorization } });
  return {
    name,
    check: (viewer, { deadline, signal }: AskLimits) => {
      // The route's deadline, when sooner than the backend's own timeout, is the request's: one timer for both.
      // Whole milliseconds: Node keeps a timer list per distinct duration, and a budget started just now rounds back to
      // one.
      const left = Math.ceil(deadline - performance.now());
      if (left <= 0) return Promise.resolve(BUDGET_SPENT);
      const budgetFirst = left < options.timeoutMs;
      try {
        return client.sendAndRead(
          outboundFor(write(base, viewer)),
          budgetFirst ? left : options.timeoutMs,
          signal,
          body,
          read,
          budgetFirst ? budgetCutOrFailure : failureOf,
        );
      } catch (error) {
        // Writing the request failed (a bug): still an answer, as the adapter promises.
        return Promise.resolve(internalFault(error));
      }
    },
  };
}
