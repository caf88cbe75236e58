import type { ViewerRequest } from '../viewer.js';
import type { StepAnswer } from './decision.js';
import type { Check } from './types.js';

/** How long steps past the deadline get to report before the route's default answers regardless. */
const CANCEL_GRACE_MS = 50;

/**
 * One viewer check with its route's time budget. The budget starts when a
 * step first calls `startBudget`: a cached decision never does. It is a
 * deadline, not a signal: each middleware request makes it its own timeout
 * (see adapters/ask.ts), so a miss costs no AbortController and no listener.
 * One timer stands behind it: a grace past the deadline, `within` gives up on
 * steps that did not finish by it and the default answers.
 */
export class BudgetedCheck implements Check {
  private deadline: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private onSpent: (() => void) | undefined;

  constructor(
    readonly route: string,
    readonly viewer: ViewerRequest,
    private readonly budgetMs: number,
  ) {}

  startBudget(): number {
    if (this.deadline === undefined) {
      this.deadline = performance.now() + this.budgetMs;
      this.timer = setTimeout(() => this.onSpent?.(), this.budgetMs + CANCEL_GRACE_MS);
    }
    return this.deadline;
  }

  /** What `running` decides, or what `fallback` does once the budget and its grace are spent. */
  within(running: Promise<StepAnswer>, fallback: () => Promise<StepAnswer>): Promise<StepAnswer> {
    return new Promise<StepAnswer>((resolve, reject) => {
      const settle = (answer: StepAnswer) => {
        clearTimeout(this.timer);
        resolve(answer);
      };
      const fail = (error: unknown) => {
        clearTimeout(this.timer);
        reject(error);
      };
      this.onSpent = () => void fallback().then(settle, fail);
      running.then(settle, fail);
    });
  }
}
