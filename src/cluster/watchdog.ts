import type { Clock } from '../clock.js';

/**
 * How often the primary asks each serving worker whether its event loop still turns, and how many
 * asks in a row may go unanswered before it counts the worker as wedged: a worker found silent on
 * three ticks has not answered for 6–8 s, longer than any check may take (a route's budget is at most
 * a few seconds) and far beyond a loaded machine's event-loop lag.
 */
export const WATCH_EVERY_MS = 2000;
export const UNANSWERED_TICKS = 3;

/** One serving worker, as the watchdog sees it. */
export interface Watched {
  /** The same object for as long as this process lives; a restarted worker is a new one. */
  readonly key: object;
  /** Resolves when the worker's event loop answers; rejects when the channel gives up on it. */
  ping(): Promise<unknown>;
  /** It stayed silent for `silentMs`: the primary ends it, and its death starts it again. */
  wedged(silentMs: number): void;
}

interface Watch {
  /** The ping sent on an earlier tick is not answered yet. */
  waiting: boolean;
  /** Ticks in a row that found it waiting. */
  unanswered: number;
  /** Reported once: a worker being killed is not reported again on the next tick. */
  reported: boolean;
}

/**
 * A worker stopped (SIGSTOP, a debugger), spinning in a loop or stuck in a native call keeps its
 * connections and answers none of the checks on them: the streaming server waits for its own timeout
 * and then lets the viewer in. Its process is alive, so node:cluster sees nothing wrong. The watchdog
 * asks every worker each tick; a ping still unanswered on `UNANSWERED_TICKS` ticks in a row names the
 * worker. Counting ticks rather than measuring time since the last answer keeps a whole group paused
 * and resumed (Ctrl-Z, a suspended VM) from killing every worker at once: the first tick after it finds
 * one ping late, and the next answers. Returns the function that stops watching.
 */
export function watchWorkers(serving: () => Iterable<Watched>, clock: Clock): () => void {
  const watches = new WeakMap<object, Watch>();
  return clock.every(WATCH_EVERY_MS, () => {
    for (const worker of serving()) {
      let watch = watches.get(worker.key);
      if (watch === undefined) {
        watch = { waiting: false, unanswered: 0, reported: false };
        watches.set(worker.key, watch);
      }
      if (!watch.waiting) {
        watch.unanswered = 0;
        ask(worker, watch);
      } else if (++watch.unanswered >= UNANSWERED_TICKS && !watch.reported) {
        watch.reported = true;
        worker.wedged(watch.unanswered * WATCH_EVERY_MS);
      }
    }
  });
}

function ask(worker: Watched, watch: Watch): void {
  watch.waiting = true;
  worker.ping().then(
    () => {
      watch.waiting = false;
    },
    // Given up on (no answer in time, or the worker exited and leaves `serving`): still no answer.
    () => undefined,
  );
}
