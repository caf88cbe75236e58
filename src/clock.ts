/**
 * Time as the bridge sees it (the stores, the circuit breakers, remembered
 * passwords, sessions, statistics, connectors): injected so tests drive it by
 * hand instead of sleeping. `every` timers are unref'd: background upkeep
 * must never keep a stopping process alive.
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
