import type { BridgeObserver } from '../observe.js';

/** The hooks the lead's statistics hear; backend requests stay with each worker's metrics. */
type RelayedHook = 'checkAnswered' | 'sessionEnded';

/** Events of one turn of a worker's event loop, in the order they happened. */
export type RelayedEvents = readonly (readonly [RelayedHook, unknown])[];

/**
 * An observer that sends what it hears on, batched per turn of the event
 * loop: one IPC message for all the checks answered in that turn, so a busy
 * worker pays a copy per check, not a message. Called after the answer is
 * written, like every observer.
 */
export function relayObserver(send: (batch: RelayedEvents) => void): BridgeObserver {
  let batch: [RelayedHook, unknown][] = [];
  const flush = () => {
    const sending = batch;
    batch = [];
    send(sending);
  };
  const queue = (hook: RelayedHook) => (event: unknown) => {
    if (batch.length === 0) setImmediate(flush);
    batch.push([hook, event]);
  };
  const relayAnswered = queue('checkAnswered');
  return {
    // A viewing session is a (caller, session id): a check that names none counts in no session,
    // so it is not worth a copy and an IPC message (measured: most of the group's cost per check).
    checkAnswered: (event) => {
      if (event.viewer?.session !== undefined && event.decision !== undefined) relayAnswered(event);
    },
    sessionEnded: queue('sessionEnded'),
  };
}

/** The lead's side: what another worker heard, told to `observer` as if it had been heard here. */
export function replayInto(observer: BridgeObserver | undefined, batch: RelayedEvents): void {
  if (observer === undefined) return;
  for (const [hook, event] of batch) {
    try {
      observer[hook]?.(event as never);
    } catch {
      // An observer's failure is never the group's problem (observeAll says the same in one process).
    }
  }
}
