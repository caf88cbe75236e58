import type { StepAnswer } from './decision.js';
import type { Check, DecisionStep, NextNow } from './types.js';

/** The steps of the decision order, as a trace names them; `default` is the route's last word. */
export type StepName =
  | 'publish'
  | 'ip-rules'
  | 'securetoken'
  | 'local-users'
  | 'connection-limit'
  | 'token-binding'
  | 'cache'
  | 'backends'
  | 'default';

export type NamedStep = readonly [StepName, DecisionStep];

export type Run = (check: Check) => Promise<StepAnswer>;

/** The steps chained in order, each one's `next` the rest; the route's default answers when all pass on. */
export function composeWaiting(steps: readonly NamedStep[], last: StepAnswer): Run {
  return steps.reduceRight<Run>(
    (next, [, step]) =>
      (check) =>
        step(check, next),
    () => Promise.resolve(last),
  );
}

/**
 * The same chain for the immediate path; undefined when some step has no immediate form (it always
 * waits), so that no check is first tried one way and then the other for nothing.
 */
export function composeNow(steps: readonly NamedStep[], last: StepAnswer): NextNow | undefined {
  if (steps.some(([, step]) => step.now === undefined)) return undefined;
  return steps.reduceRight<NextNow>(
    (next, [, step]) =>
      (check) =>
        step.now!(check, next),
    () => last,
  );
}
