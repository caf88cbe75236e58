import type { ViewerRequest } from '../viewer.js';
import type { Decision, StepAnswer } from './decision.js';

export type { Decision, DecisionSource, StepAnswer } from './decision.js';

export interface Check {
  readonly route: string;
  readonly viewer: ViewerRequest;
  /**
   * Starts the route's time budget, if it has not started yet, and returns its deadline in
   * `performance.now()` milliseconds. Called by a step about to wait (a middleware, a password
   * hash); a decision that never waits starts no timer.
   */
  startBudget(): number;
}

/** The rest of the decision order, from the step after this one. */
export type Next = (check: Check) => Promise<StepAnswer>;

/** The rest of the decision order answered at once: undefined when some step would have to wait. */
export type NextNow = (check: Check) => StepAnswer | undefined;

/**
 * One step of the decision order: decides, or passes the check on with `next`.
 * Wrapping `next` lets a step act on what the later steps decided (as a cache will).
 *
 * `now` is the same step for a check that can be answered without waiting (a cached hit):
 * it answers at once, or says undefined ("I would wait", or a later step would), and then
 * the check goes the asynchronous way from the start. So `now` must change nothing it reads.
 */
export interface DecisionStep {
  (check: Check, next: Next): Promise<StepAnswer>;
  now?: (check: Check, next: NextNow) => StepAnswer | undefined;
}

/** What the HTTP layer needs from the decision side, and nothing more. */
export interface Decider {
  hasRoute(route: string): boolean;
  /**
   * The decision when it can be made without waiting (every step before the cache can, and the
   * store holds a fresh answer in this process): no promise, no microtask. Undefined: call `decide`.
   */
  decideNow?(route: string, viewer: ViewerRequest): Decision | undefined;
  decide(route: string, viewer: ViewerRequest): Promise<Decision>;
}
