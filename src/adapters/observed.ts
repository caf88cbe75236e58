import { performance } from 'node:perf_hooks';
import type { BackendAsked, BackendOutcome, BridgeObserver } from '../observe.js';
import type { BackendErrorKind, BackendVerdict, MiddlewareAdapter } from './types.js';

/**
 * Error kinds in the words of `backend_requests_total`; a check cancelled because it was no longer needed (or not
 * asked, the budget spent before its turn) is no outcome.
 */
const OUTCOME_OF_ERROR: Record<BackendErrorKind, BackendOutcome | undefined> = {
  timeout: 'timeout',
  refused: 'refused',
  // Any other failure to connect (unreachable host, ...): the middleware could not be reached, as with a refusal.
  network: 'refused',
  reset: 'reset',
  'server-error': 'server-error',
  'bad-answer': 'bad-answer',
  'too-large': 'bad-answer',
  unparseable: 'bad-answer',
  'unexpected-status': 'bad-answer',
  internal: 'internal',
  'circuit-open': 'circuit-open',
  cancelled: undefined,
};

function outcomeOf(verdict: BackendVerdict): BackendOutcome | undefined {
  if (verdict.outcome !== 'error') return verdict.unasked ? undefined : verdict.outcome;
  // Asked and not answered within the route's budget: cancelled for the breaker, but a timeout to whoever watches.
  return verdict.cutByBudget ? 'timeout' : OUTCOME_OF_ERROR[verdict.error];
}

/**
 * `adapter` reporting each request's outcome and duration to `observer.backendAsked`.
 * Wrapped around the circuit breaker, so skipped requests count as `circuit-open`;
 * the result keeps every other member of `adapter` (its circuit, say).
 */
export function observedAdapter<A extends MiddlewareAdapter>(adapter: A, observer: BridgeObserver | undefined): A {
  const backendAsked = observer?.backendAsked;
  if (backendAsked === undefined) return adapter;
  const observed: A = Object.create(adapter) as A;
  observed.check = (viewer, limits) => {
    const started = performance.now();
    return adapter.check(viewer, limits).then((verdict) => {
      const outcome = outcomeOf(verdict);
      if (outcome === undefined) return verdict;
      const event: BackendAsked = { backend: adapter.name, outcome, durationMs: performance.now() - started };
      try {
        backendAsked(event);
      } catch {
        // An observer's fault is never the viewer's: at worst one request goes uncounted.
      }
      return verdict;
    });
  };
  return observed;
}
