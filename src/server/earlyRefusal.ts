import { logRefused, type Logger } from '../log.js';
import type { BridgeObserver } from '../observe.js';

/** Reports a request refused before it named a route or a viewer: its status, why, and the caller protocol if known. */
export type EarlyRefusal = (status: number, reason: string, protocol?: string) => void;

/** The `dialect` label of a request refused before its path named a caller protocol (bad HTTP, `CONNECT`, `/x`). */
export const NO_DIALECT = '(none)';

/**
 * A request refused before the decision handler heard it (unreadable HTTP, an oversize head, a path or method no
 * caller has): its decision line, and counted as `refused` like any other refusal, under the route label of names
 * not configured, so that a flood of them shows in `decisions_total` and the status page, not in the log alone.
 */
export function earlyRefusals(log: Logger, observer: BridgeObserver | undefined): EarlyRefusal {
  const checkAnswered = observer?.checkAnswered?.bind(observer);
  return (status, reason, protocol = NO_DIALECT) => {
    logRefused(log, status, reason, protocol === NO_DIALECT ? undefined : protocol);
    checkAnswered?.({
      route: '',
      protocol,
      caller: undefined,
      viewer: undefined,
      decision: undefined,
      outcome: 'refused',
      by: 'refused',
      cache: 'none',
      status,
      // Refused as soon as it was read: nothing was waited for.
      durationMs: 0,
    });
  };
}
