import type { Clock } from '../clock.js';
import type { BridgeObserver, SessionEnded } from '../observe.js';
import { type TrackedCheck, trackedCheckOf } from '../sessions/trackedCheck.js';
import { sessionKey } from '../sessions/tracker.js';

/**
 * How often a worker sends the lead what it heard. The lead's sessions and statistics lag the
 * other workers' checks by this much at most; each check keeps the time it was answered.
 */
export const RELAY_EVERY_MS = 100;
/** A batch this long goes at once, so that no message grows without bound under a flood of sessions. */
const MOST_ENTRIES = 5000;

/**
 * One entry of a batch: the checks of one session that would leave the tracker as the last of
 * them leaves it (answered first at `firstAt`, last at `at`), or a session the streaming server ended.
 */
type Entry = { readonly check: TrackedCheck; readonly firstAt: number; at: number } | { readonly ended: SessionEnded };

/** What the lead feeds with the batches: its session tracker. */
export interface SessionTarget {
  checkAnswered(check: TrackedCheck, at?: number): void;
  sessionEnded(event: SessionEnded): void;
}

/** The relay of a worker other than the lead: an observer, and `flush` for a worker that stops. */
export interface SessionRelay extends Required<Pick<BridgeObserver, 'checkAnswered' | 'sessionEnded'>> {
  /** Sends what is queued now (a stopping worker, once its last check is answered). */
  flush(): void;
}

/** Plain data (what `trackedCheckOf` builds) compared leaf by leaf. */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => sameData((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/**
 * An observer that sends the lead worker only what its session tracker reads
 * (`TrackedCheck`), batched every RELAY_EVERY_MS as one JSON string (which the
 * primary passes on without taking it apart). Checks of one session that
 * change nothing for the tracker but the time are one entry: an HLS viewer's
 * segment checks cost a comparison each, not a copy and a message. Called
 * after the answer is written, like every observer.
 */
export function relayObserver(send: (batch: string) => void, clock: Clock): SessionRelay {
  let queue: Entry[] = [];
  /** Where each session's latest check waits in `queue`: a later one like it only moves its time. */
  const latest = new Map<string, number>();
  const flush = () => {
    if (queue.length === 0) return;
    const batch = JSON.stringify(queue);
    queue = [];
    latest.clear();
    send(batch);
  };
  const full = () => {
    if (queue.length >= MOST_ENTRIES) flush();
  };
  clock.every(RELAY_EVERY_MS, flush);
  return {
    // A check that names no session counts in none: it is not worth a copy.
    checkAnswered(event) {
      const check = trackedCheckOf(event);
      if (check === undefined) return;
      const at = clock.now();
      const key = sessionKey(check.caller, check.viewer.session);
      const pending = queue[latest.get(key) ?? -1];
      if (pending !== undefined && 'check' in pending && sameData(pending.check, check)) {
        pending.at = at;
        return;
      }
      latest.set(key, queue.push({ check, firstAt: at, at }) - 1);
      full();
    },
    sessionEnded(event) {
      // A check after the end starts a new session: it must not fold into one before it.
      if (event.session !== undefined) latest.delete(sessionKey(event.caller, event.session));
      queue.push({ ended: event });
      full();
    },
    flush,
  };
}

/** The lead's side: a batch another worker sent, told to its tracker in order as if heard here. */
export function replayInto(target: SessionTarget | undefined, batch: string): void {
  if (target === undefined) return;
  for (const entry of JSON.parse(batch) as Entry[]) {
    try {
      if ('ended' in entry) target.sessionEnded(entry.ended);
      else {
        target.checkAnswered(entry.check, entry.firstAt);
        if (entry.at !== entry.firstAt) target.checkAnswered(entry.check, entry.at);
      }
    } catch {
      // A tracker's failure is never the group's problem (observeAll says the same in one process).
    }
  }
}
