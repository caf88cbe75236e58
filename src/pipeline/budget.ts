/** How long cancelled steps get to report before the route's default answers regardless. */
const CANCEL_GRACE_MS = 50;

/**
 * A decision's time budget. It starts when a step first asks for its signal:
 * a cached decision never does, and an AbortController plus a timer per
 * request are measurable at tens of thousands of requests per second.
 * When the budget runs out the signal aborts, and `spent` resolves a short
 * grace later, for steps that ignore the cancel.
 */
export class Budget {
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private markSpent!: () => void;
  readonly spent = new Promise<void>((resolve) => {
    this.markSpent = resolve;
  });

  constructor(private readonly ms: number) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = new AbortController();
      this.controller = controller;
      this.timer = setTimeout(() => {
        controller.abort();
        this.timer = setTimeout(this.markSpent, CANCEL_GRACE_MS);
      }, this.ms);
    }
    return this.controller.signal;
  }

  end(): void {
    clearTimeout(this.timer);
  }
}
