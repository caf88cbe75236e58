import type { BackendVerdict, MiddlewareAdapter } from '../adapters/types.js';
import { type Clock, systemClock } from '../clock.js';
import type { BreakerConfig } from '../config/schema.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface GuardedAdapter extends MiddlewareAdapter {
  circuit(): CircuitState;
}

/** A circuit opening (with why) or closing again; the breaker's owner decides what to log. */
export type CircuitChange =
  | {
      readonly backend: string;
      readonly state: 'open';
      readonly failures: number;
      readonly cooldownSeconds: number;
      readonly reason: string;
    }
  | { readonly backend: string; readonly state: 'closed' };

export interface BreakerOptions {
  readonly clock?: Clock;
  /** Hears each opening and each closing, once per change (not per check that fails meanwhile). */
  readonly onChange?: (change: CircuitChange) => void;
}

const SKIPPED: BackendVerdict = {
  outcome: 'error',
  error: 'circuit-open',
  detail: 'skipped: the backend failed repeatedly and is cooling down',
};

/**
 * A backend that keeps failing is skipped for a cool-down, so a dead middleware
 * costs viewers no waiting beyond the failures that opened the circuit. After
 * the cool-down one probe goes through: success closes the circuit, failure
 * opens it again. Answers (allow or deny) count as success; a check cancelled
 * because another backend allowed first counts as nothing.
 */
export function withCircuitBreaker(
  adapter: MiddlewareAdapter,
  config: BreakerConfig,
  { clock = systemClock, onChange }: BreakerOptions = {},
): GuardedAdapter {
  let state: CircuitState = 'closed';
  let failures = 0;
  let openUntil = 0;
  let probing = false;

  function open(reason: string): void {
    state = 'open';
    openUntil = clock.now() + config.cooldown * 1000;
    onChange?.({ backend: adapter.name, state: 'open', failures, cooldownSeconds: config.cooldown, reason });
  }

  function settle(verdict: BackendVerdict): void {
    if (verdict.outcome !== 'error' && verdict.unasked) return;
    if (verdict.outcome !== 'error') {
      if (state !== 'closed') onChange?.({ backend: adapter.name, state: 'closed' });
      state = 'closed';
      failures = 0;
    } else if (verdict.error !== 'cancelled' && state !== 'open') {
      // Checks already under way when the circuit opened fail too; they do not open it again.
      failures += 1;
      if (state === 'half-open' || (config.failures > 0 && failures >= config.failures)) open(verdict.error);
    }
  }

  function settled(verdict: BackendVerdict): BackendVerdict {
    settle(verdict);
    return verdict;
  }

  return {
    name: adapter.name,
    circuit: () => (state === 'open' && clock.now() >= openUntil ? 'half-open' : state),
    check(viewer, limits) {
      if (state === 'open') {
        if (clock.now() < openUntil || probing) return Promise.resolve(SKIPPED);
        state = 'half-open';
      } else if (state === 'half-open' && probing) {
        return Promise.resolve(SKIPPED);
      }
      // A closed circuit, the busy case, waits for nothing but the check itself: one hop.
      if (state === 'closed') return adapter.check(viewer, limits).then(settled);
      probing = true;
      let asked: Promise<BackendVerdict>;
      try {
        asked = adapter.check(viewer, limits);
      } catch (error) {
        // The probe never started: the next check may probe instead.
        probing = false;
        return Promise.reject(error);
      }
      return asked.then(
        (verdict) => {
          probing = false;
          return settled(verdict);
        },
        (error: unknown) => {
          probing = false;
          throw error;
        },
      );
    },
  };
}
