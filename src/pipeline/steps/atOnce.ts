import type { StepAnswer } from '../decision.js';
import type { Check, DecisionStep } from '../types.js';

/**
 * A step that never waits (a rule, a signature): `decide` answers, or says undefined and the
 * check passes on. It answers the same way on the asynchronous and the immediate path.
 */
export function atOnce(decide: (check: Check) => StepAnswer | undefined): DecisionStep {
  const step: DecisionStep = (check, next) => {
    const decided = decide(check);
    return decided ? Promise.resolve(decided) : next(check);
  };
  step.now = (check, next) => decide(check) ?? next(check);
  return step;
}
