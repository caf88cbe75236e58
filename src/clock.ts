/**
 * Time as the bridge sees it (the stores, the circuit breakers, remembered
 * passwords, sessions, statistics, connectors): injected so tests drive it by
 * hand instead of sleeping. `every` timers are unref'd: background upkeep
 * must never keep a stopping process alive.
 *
 * What is not on this clock, on purpose: a check's deadlines and the I/O
 * timeouts under it (the route budget in pipeline/budget.ts, the middleware's
 * time left in adapters/ask.ts, body and socket timeouts) measure elapsed time
 * with `performance.now()` and `setTimeout`, which no wall-clock change moves
 * and which need no clock object carried down the hot path. They are injected too, by the test
 * runner: their tests drive them with `vi.useFakeTimers()` (see
 * test/pipeline/budget.test.ts), so "time is injected, not slept" holds for both.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `task` every `ms` until the returned function is called. */
  every(ms: number, task: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, task) {
    const timer = setInterval(task, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};
