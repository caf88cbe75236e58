import type { RouteConfig } from '../../config/schema.js';
import { DEFAULT_SOURCE, type StepAnswer } from '../decision.js';

export type DefaultInputs = Pick<RouteConfig, 'default' | 'denyRedirect'>;

/** The route's last word when no earlier step decided: the same answer every time. */
export function defaultAnswer(inputs: DefaultInputs): StepAnswer {
  return inputs.default === 'allow'
    ? { allow: true, source: DEFAULT_SOURCE }
    : { allow: false, source: DEFAULT_SOURCE, redirect: inputs.denyRedirect };
}
