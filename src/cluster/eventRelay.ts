import type { Clock } from '../clock.js';
import type { BridgeObserver, CheckAnswered, SessionEnded } from '../observe.js';
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

/**
 * Plain data compared leaf by leaf: the objects a decision passes on by reference (its source, its count), when they
 * are not the very same.
 */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => sameData((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/**
 * Whether `event` would give the tracker what `earlier` (`trackedCheckOf` of an earlier event)
 * gave it: the fields `trackedCheckOf` copies, compared where they are in the event, so that a
 * repeated check is told from a changed one without a copy (this runs on every check a worker
 * answers; a generic walk over a copy cost it a microsecond). test/cluster/eventRelay.test.ts
 * changes each field `trackedCheckOf` copies and expects no fold.
 */
function tracksAs(earlier: TrackedCheck, event: CheckAnswered): boolean {
  const was = earlier.viewer;
  const viewer = event.viewer;
  const seen = earlier.decision;
  const decision = event.decision;
  // A publish is no viewing session: trackedCheckOf takes none, so it must not fold into one either.
  if (was === undefined || viewer === undefined || seen === undefined || decision === undefined || viewer.publishing)
    return false;
  const login = viewer.credentials?.login;
  const answer = decision.answer;
  const heard = seen.answer;
  return (
    earlier.route === event.route &&
    earlier.protocol === event.protocol &&
    earlier.caller === event.caller &&
    earlier.by === event.by &&
    was.session === viewer.session &&
    was.channel === viewer.channel &&
    was.ip === viewer.ip &&
    was.userAgent === viewer.userAgent &&
    was.token === viewer.token &&
    was.credentials?.login === login &&
    (was.credentials === undefined) === (login === undefined) &&
    seen.allow === decision.allow &&
    seen.sessionName === decision.sessionName &&
    sameData(seen.source, decision.source) &&
    sameData(seen.countedAs, decision.countedAs) &&
    (heard === undefined
      ? answer === undefined
      : answer !== undefined &&
        heard.sessionName === answer.sessionName &&
        heard.userId === answer.userId &&
        heard.maxSessions === answer.maxSessions &&
        heard.unique === answer.unique)
  );
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
      const session = event.viewer?.session;
      if (!session) return;
      const key = sessionKey(event.protocol, event.caller, event.viewer!.ip, session);
      const pending = queue[latest.get(key) ?? -1];
      const at = clock.now();
      if (pending !== undefined && 'check' in pending && tracksAs(pending.check, event)) {
        pending.at = at;
        return;
      }
      const check = trackedCheckOf(event);
      if (check === undefined) return;
      latest.set(key, queue.push({ check, firstAt: at, at }) - 1);
      full();
    },
    sessionEnded(event) {
      // A check after the end starts a new session: it must not fold into one before it.
      if (event.session !== undefined) latest.delete(sessionKey(event.protocol, event.caller, event.ip, event.session));
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
