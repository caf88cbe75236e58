import type { ViewerRequest } from '../viewer.js';
import type { StepAnswer } from './decision.js';
import type { Check } from './types.js';

/** How long cancelled steps get to report before the route's default answers regardless. */
const CANCEL_GRACE_MS = 50;

/**
 * One viewer check with its route's time budget. The budget starts when a
 * step first calls `startBudget`: a cached decision never does, and an
 * AbortController plus a timer per request are measurable at tens of
 * thousands of requests per second. When the budget runs out the signal
 * aborts, and a short grace later `within` gives up on steps that ignore it.
 */
export class BudgetedCheck implements Check {
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private onSpent: (() => void) | undefined;

  constructor(
    readonly route: string,
    readonly viewer: ViewerRequest,
    private readonly budgetMs: number,
  ) {}

  startBudget(): AbortSignal {
    if (!this.controller) {
      const controller = new AbortController();
      this.controller = controller;
      this.timer = setTimeout(() => {
        controller.abort();
        this.timer = setTimeout(() => this.onSpent?.(), CANCEL_GRACE_MS);
      }, this.budgetMs);
    }
    return this.controller.signal;
  }

  /** What `running` decides, or what `fallback` does once the budget and its grace are spent. */
  within(running: Promise<StepAnswer>, fallback: () => Promise<StepAnswer>): Promise<StepAnswer> {
    return new Promise<StepAnswer>((resolve, reject) => {
      const settle = (verdict: StepAnswer) => {
        clearTimeout(this.timer);
        resolve(verdict);
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
