import { performance } from 'node:perf_hooks';
import { request } from 'undici';

export interface LoopCheck {
  /** What the check stands for, to group answers by (`bound-ip`, `other-ip`, ...). */
  readonly kind: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface LoopAnswer {
  readonly kind: string;
  /** Set by the test while the answer was being waited for (`before`, `fault`, `after`). */
  readonly phase: string;
  /** The HTTP status, or the network error's code when there was no answer. */
  readonly status: number | string;
  readonly ms: number;
}

export interface CheckLoop {
  /** Labels the answers from now on. */
  phase: string;
  readonly answers: readonly LoopAnswer[];
  /** Resolves once `more` answers past the current count have come in (or the loop has ended). */
  answered(more: number): Promise<void>;
  /** Stops sending and resolves once every check in flight is answered. */
  stop(): Promise<readonly LoopAnswer[]>;
}

export interface CheckLoopOptions {
  /** Checks in flight at once. */
  readonly concurrency: number;
  /** Bounds, whatever the test does: the loop ends past either. */
  readonly maxChecks: number;
  readonly maxMs: number;
  /**
   * A worker's pause after each answer. A loop that only has to keep checks coming while a fault runs (a failover of
   * a few seconds) otherwise spins the test's own core flat out on thousands of checks it does not need.
   */
  readonly pauseMs?: number;
}

/** Sends `checks` round-robin to `base` over real sockets until stopped or out of bounds, recording every answer. */
export function startCheckLoop(base: string, checks: readonly LoopCheck[], options: CheckLoopOptions): CheckLoop {
  const answers: LoopAnswer[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const endAt = performance.now() + options.maxMs;
  let sent = 0;
  let stopped = false;

  const wake = () => {
    for (const waiter of waiters.splice(0)) {
      if (stopped || answers.length >= waiter.count) waiter.resolve();
      else waiters.push(waiter);
    }
  };

  async function worker(): Promise<void> {
    while (!stopped && sent < options.maxChecks && performance.now() < endAt) {
      const check = checks[sent++ % checks.length]!;
      const phase = loop.phase;
      const started = performance.now();
      let status: number | string;
      try {
        const answer = await request(`${base}${check.path}`, {
          headers: check.headers,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        await answer.body.dump();
        status = answer.statusCode;
      } catch (error) {
        status = (error as NodeJS.ErrnoException).code ?? String(error);
      }
      answers.push({ kind: check.kind, phase, status, ms: performance.now() - started });
      wake();
      if (options.pauseMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  }

  let running: Promise<void> = Promise.resolve();
  const loop: CheckLoop = {
    phase: 'before',
    answers,
    answered(more) {
      return new Promise((resolve) => {
        waiters.push({ count: answers.length + more, resolve });
        wake();
      });
    },
    async stop() {
      stopped = true;
      await running;
      return answers;
    },
  };
  running = Promise.all(Array.from({ length: options.concurrency }, worker)).then(() => {
    stopped = true;
    wake();
  });
  return loop;
}
