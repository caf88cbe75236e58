import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Bridge, BridgeHealth } from '../bridge.js';
import { VERSION } from '../packageRoot.js';
import type { BridgeConfig } from '../config/schema.js';
import type { BackendRecent } from '../metrics/backendMetrics.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CircuitState } from '../resilience/circuitBreaker.js';
import type { ReloadOutcome } from './actions.js';
import type { SessionsView, StatsView, StreamingServerView } from './views.js';

/** The config file as it was read: its digest tells two instances' configs apart without showing secrets. */
export interface ConfigIdentity {
  readonly file: string;
  readonly sha256: string | undefined;
}

export function identify(file: string): ConfigIdentity {
  try {
    return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
  } catch {
    return { file, sha256: undefined };
  }
}

export interface LastReload extends ReloadOutcome {
  readonly at: string;
}

export interface StatusSources {
  readonly bridge: () => Bridge;
  readonly config: () => BridgeConfig;
  readonly metrics: Metrics;
  readonly configIdentity: () => ConfigIdentity;
  readonly lastReload: () => LastReload | undefined;
  readonly readiness: () => Readiness;
  readonly startedAt: Date;
  readonly now: () => Date;
  readonly sessions?: SessionsView;
  readonly stats?: StatsView;
  readonly streamingServers?: () => readonly StreamingServerView[];
}

export type Readiness = 'starting' | 'serving' | 'draining';

/**
 * One backend as `/admin/status` shows it: its circuit, whether it fails, and its recent requests. Every field is
 * there from the start (`null` until a first request), so that a script reading it needs no case for a quiet one.
 */
export interface BackendView {
  readonly name: string;
  readonly type: string | undefined;
  readonly circuit: CircuitState;
  readonly failing: boolean;
  readonly requests: number;
  readonly failures: number;
  readonly lastOutcome: BackendRecent['lastOutcome'] | null;
  readonly lastAt: string | null;
  readonly latencyMs: number | null;
}

/** Whether a backend in `circuit` whose last request ended `recent.lastOutcome` is failing now. */
function isFailing(circuit: CircuitState, recent: Pick<BackendRecent, 'lastOutcome'> | undefined): boolean {
  return (
    circuit !== 'closed' || (recent !== undefined && recent.lastOutcome !== 'allow' && recent.lastOutcome !== 'deny')
  );
}

/** Every backend of this process, as `/admin/status` shows it. */
export function backendViews(
  health: BridgeHealth,
  config: Pick<BridgeConfig, 'backends'>,
  metrics: Pick<Metrics, 'backendRecent'>,
): BackendView[] {
  return Object.entries(health.backends).map(([name, { circuit }]) => {
    const recent = metrics.backendRecent(name);
    return {
      name,
      type: config.backends[name]?.type,
      circuit,
      failing: isFailing(circuit, recent),
      requests: recent?.requests ?? 0,
      failures: recent?.failures ?? 0,
      lastOutcome: recent?.lastOutcome ?? null,
      lastAt: recent?.lastAt ?? null,
      latencyMs: recent?.latencyMs ?? null,
    };
  });
}

/** `GET /admin/status`: what an operator needs at a glance, and what the status page draws. */
export function statusOf(sources: StatusSources) {
  const health = sources.bridge().health();
  const config = sources.config();
  const now = sources.now();
  const backends = backendViews(health, config, sources.metrics);
  return {
    version: VERSION,
    status: health.status,
    readiness: sources.readiness(),
    uptimeSeconds: Math.round((now.getTime() - sources.startedAt.getTime()) / 1000),
    now: now.toISOString(),
    config: sources.configIdentity(),
    // null until the first reload: the field is always there.
    lastReload: sources.lastReload() ?? null,
    store: health.store,
    backends,
    routes: Object.entries(config.routes).map(([name, route]) => ({
      name,
      backends: route.backends,
      mode: route.mode,
      default: route.default,
      liveSessions: sources.sessions?.liveCount(name),
    })),
    decisions: sources.metrics.totals(),
    sessions: sources.sessions === undefined ? undefined : { live: sources.sessions.liveCount() },
    // Kept in a database: with `stats.store: off` the figures are the live sessions', which the page says apart.
    statistics: sources.stats !== undefined && config.stats.store !== 'off',
    // Whether rows reach the database: `ok: false` with the database's error while it fails (decisions go on).
    statisticsStore: statisticsStoreOf(sources.stats),
    streamingServers: sources.streamingServers?.(),
  };
}

function statisticsStoreOf(stats: StatsView | undefined) {
  const writer = stats?.writerState();
  if (writer === undefined) return null;
  const { ok, queued, droppedRows, lastError } = writer;
  return { ok, queued, droppedRows, ...(lastError === undefined ? {} : { lastError }) };
}
