import { Counter, Histogram, type Registry } from 'prom-client';
import type { BackendAsked, BackendOutcome } from '../observe.js';
import { PREFIX } from './decisionMetrics.js';

/** Middleware round trips, from a loopback answer to the longest `timeoutMs`. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Weight of the newest request in a backend's recent latency: about the last twenty requests count. */
const RECENT_WEIGHT = 0.1;

/** What the status page shows of one backend, beyond its circuit. */
export interface BackendRecent {
  readonly requests: number;
  readonly failures: number;
  readonly lastOutcome: BackendOutcome;
  readonly lastAt: string;
  /** Moving average of recent requests' durations (skipped ones excluded). */
  readonly latencyMs: number | undefined;
}

const ANSWERED: ReadonlySet<BackendOutcome> = new Set(['allow', 'deny']);

/**
 * `backend_requests_total` and `backend_request_duration_seconds`, plus each
 * backend's recent state for `/admin/status`. Counted per middleware request,
 * which costs far more than this: prom-client's own children serve here.
 * Backend names come from the config, so the label set is bounded.
 */
export function backendMetrics(registry: Registry, now: () => Date = () => new Date()) {
  const requests = new Counter({
    name: `${PREFIX}backend_requests_total`,
    help: 'Middleware requests by backend and outcome',
    labelNames: ['backend', 'outcome'],
    registers: [registry],
  });
  const durations = new Histogram({
    name: `${PREFIX}backend_request_duration_seconds`,
    help: 'Middleware request durations by backend (requests skipped by an open circuit excluded)',
    labelNames: ['backend'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const recent = new Map<
    string,
    { requests: number; failures: number; lastOutcome: BackendOutcome; lastAt: string; latencyMs: number | undefined }
  >();

  return {
    backendAsked({ backend, outcome, durationMs }: BackendAsked): void {
      requests.inc({ backend, outcome });
      const state = recent.get(backend) ?? {
        requests: 0,
        failures: 0,
        lastOutcome: outcome,
        lastAt: '',
        latencyMs: undefined,
      };
      state.requests += 1;
      if (!ANSWERED.has(outcome)) state.failures += 1;
      state.lastOutcome = outcome;
      state.lastAt = now().toISOString();
      if (outcome !== 'circuit-open') {
        durations.observe({ backend }, durationMs / 1000);
        state.latencyMs =
          state.latencyMs === undefined ? durationMs : state.latencyMs + RECENT_WEIGHT * (durationMs - state.latencyMs);
      }
      recent.set(backend, state);
    },
    recent(backend: string): BackendRecent | undefined {
      const state = recent.get(backend);
      return (
        state && {
          ...state,
          latencyMs: state.latencyMs === undefined ? undefined : Math.round(state.latencyMs * 100) / 100,
        }
      );
    },
  };
}
