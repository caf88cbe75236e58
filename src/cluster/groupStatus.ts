import type { BackendView } from '../admin/status.js';
import type { BridgeHealth } from '../bridge.js';
import type { DecisionTotals } from '../metrics/decisionMetrics.js';
import type { CircuitState } from '../resilience/circuitBreaker.js';

/** One worker's part of `/admin/status`: who it is and what it answered (also how a test tells workers apart). */
export interface WorkerStatus {
  readonly slot: number;
  readonly pid: number | undefined;
  readonly uptimeSeconds?: number;
  readonly status?: BridgeHealth['status'];
  readonly store?: BridgeHealth['store'];
  /** Its own backends' circuits and requests: each worker asks the middlewares itself. */
  readonly backends?: readonly BackendView[];
  readonly decisions?: DecisionTotals;
  /** sha256 of the config file text in force on this worker: every worker of a group should show the same. */
  readonly configSha256?: string;
  /** Set when the worker did not answer (restarting, or too busy). */
  readonly error?: string;
}

export function workerStatus(
  slot: number,
  health: BridgeHealth,
  backends: readonly BackendView[],
  decisions: DecisionTotals,
  uptimeSeconds: number,
  configSha256: string,
): WorkerStatus {
  const { status, store } = health;
  return { slot, pid: process.pid, uptimeSeconds, status, store, backends, decisions, configSha256 };
}

/** The `error` of a worker that does not serve at this moment (dead, or being started again). */
export const NOT_SERVING = 'not serving: being started again';

type Counts = number | { readonly [key: string]: Counts };

function added(a: Counts, b: Counts): Counts {
  if (typeof a === 'number' || typeof b === 'number') return Number(a) + Number(b);
  return Object.fromEntries(Object.keys(a).map((key) => [key, added(a[key] ?? 0, b[key] ?? 0)]));
}

const CIRCUIT_RANK: Readonly<Record<CircuitState, number>> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * One backend over the group: requests and failures summed, the last outcome the latest of any worker's, the
 * latency the workers' averages weighed by their requests, the circuit the worst (each worker has its own breaker).
 */
function groupBackend(own: BackendView, views: readonly BackendView[]): BackendView {
  if (views.length === 0) return own;
  const circuit = views.reduce<CircuitState>(
    (worst, view) => (CIRCUIT_RANK[view.circuit] > CIRCUIT_RANK[worst] ? view.circuit : worst),
    'closed',
  );
  const failing = views.some((view) => view.failing);
  const asked = views.filter((view) => view.requests > 0);
  if (asked.length === 0) return { ...own, circuit, failing };
  const latest = asked.reduce((a, b) => ((b.lastAt ?? '') > (a.lastAt ?? '') ? b : a));
  const timed = asked.filter((view) => view.latencyMs !== null);
  const timedRequests = timed.reduce((sum, view) => sum + view.requests, 0);
  return {
    name: own.name,
    type: own.type,
    circuit,
    // Each worker's own view already says whether its circuit or its last request fails: the latest is one of them.
    failing,
    requests: asked.reduce((sum, view) => sum + view.requests, 0),
    failures: asked.reduce((sum, view) => sum + view.failures, 0),
    lastOutcome: latest.lastOutcome,
    lastAt: latest.lastAt,
    latencyMs:
      timedRequests === 0
        ? null
        : Math.round(timed.reduce((sum, view) => sum + view.latencyMs! * view.requests, 0) / timedRequests),
  };
}

/**
 * The lead's status made the group's: decisions and backend requests counted
 * over every worker that answered, each worker's own part under `workers`, and
 * `degraded` while any worker is (or does not serve, or did not answer).
 */
export function withWorkers<
  T extends { readonly decisions: DecisionTotals; readonly backends: readonly BackendView[]; readonly status?: string },
>(own: T, workers: readonly WorkerStatus[]): T & { readonly workers: readonly WorkerStatus[] } {
  const counted = workers.flatMap((worker) =>
    worker.decisions === undefined ? [] : [worker.decisions as unknown as Counts],
  );
  const decisions = counted.length === 0 ? own.decisions : (counted.reduce(added) as unknown as DecisionTotals);
  const backends = own.backends.map((backend) =>
    groupBackend(
      backend,
      workers.flatMap((worker) => worker.backends?.filter((view) => view.name === backend.name) ?? []),
    ),
  );
  const degraded = workers.some((worker) => worker.error !== undefined || worker.status === 'degraded');
  return {
    ...own,
    decisions,
    backends,
    workers,
    ...(degraded && own.status !== undefined ? { status: 'degraded' } : {}),
  };
}
