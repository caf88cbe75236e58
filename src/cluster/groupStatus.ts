import type { BridgeHealth } from '../bridge.js';
import type { DecisionTotals } from '../metrics/decisionMetrics.js';

/** One worker's part of `/admin/status`: who it is and what it answered (also how a test tells workers apart). */
export interface WorkerStatus {
  readonly slot: number;
  readonly pid: number | undefined;
  readonly uptimeSeconds?: number;
  readonly status?: BridgeHealth['status'];
  readonly store?: BridgeHealth['store'];
  readonly backends?: BridgeHealth['backends'];
  readonly decisions?: DecisionTotals;
  /** sha256 of the config file text in force on this worker: every worker of a group should show the same. */
  readonly configSha256?: string;
  /** Set when the worker did not answer (restarting, or too busy). */
  readonly error?: string;
}

export function workerStatus(
  slot: number,
  health: BridgeHealth,
  decisions: DecisionTotals,
  uptimeSeconds: number,
  configSha256: string,
): WorkerStatus {
  const { status, store, backends } = health;
  return { slot, pid: process.pid, uptimeSeconds, status, store, backends, decisions, configSha256 };
}

/** The `error` of a worker that does not serve at this moment (dead, or being started again). */
export const NOT_SERVING = 'not serving: being started again';

type Counts = number | { readonly [key: string]: Counts };

function added(a: Counts, b: Counts): Counts {
  if (typeof a === 'number' || typeof b === 'number') return Number(a) + Number(b);
  return Object.fromEntries(Object.keys(a).map((key) => [key, added(a[key] ?? 0, b[key] ?? 0)]));
}

/**
 * The lead's status made the group's: decisions counted over every worker
 * that answered, each worker's own part under `workers`, and `degraded` while
 * any worker is (or does not serve, or did not answer).
 */
export function withWorkers<T extends { readonly decisions: DecisionTotals; readonly status?: string }>(
  own: T,
  workers: readonly WorkerStatus[],
): T & { readonly workers: readonly WorkerStatus[] } {
  const counted = workers.flatMap((worker) =>
    worker.decisions === undefined ? [] : [worker.decisions as unknown as Counts],
  );
  const decisions = counted.length === 0 ? own.decisions : (counted.reduce(added) as unknown as DecisionTotals);
  const degraded = workers.some((worker) => worker.error !== undefined || worker.status === 'degraded');
  return { ...own, decisions, workers, ...(degraded && own.status !== undefined ? { status: 'degraded' } : {}) };
}
