import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { SessionsView, StatsView } from '../admin/views.js';
import type { BridgeHealth } from '../bridge.js';
import type { BridgeObserver } from '../observe.js';
import { backendMetrics } from './backendMetrics.js';
import { decisionMetrics, PREFIX } from './decisionMetrics.js';
import { sharedStdout } from '../stdoutBatch.js';

/** What the scrape-time metrics are read from; all of it may change with a reload. */
export interface MetricSources {
  readonly health: () => BridgeHealth;
  readonly routes: () => readonly string[];
  readonly sessions?: SessionsView;
  readonly stats?: StatsView;
}

/** How a configuration reload ended (`config_reloads_total{result}`). */
export type ReloadResult = 'ok' | 'invalid' | 'failed';

/** Said of route names that are not configured, so that no caller can grow the label set. */
export const UNKNOWN_ROUTE = '(unknown)';

/**
 * A counter of what a source has dropped since start, read at scrape time (a new source reads from 0 again: never
 * counted down).
 */
function droppedCounter(registry: Registry, name: string, help: string, dropped: () => number): void {
  let reported = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = dropped();
      if (now > reported) this.inc(now - reported);
      reported = Math.max(reported, now);
    },
  });
}

/**
 * The bridge's Prometheus metrics (README: "Operating it"), in a registry of
 * their own: the decision path reaches them only through `observer`; gauges
 * are read from `sources` when scraped. No label carries a token, password,
 * IP or user: only route, protocol, backend names and fixed words.
 */
export function createMetrics(sources: MetricSources) {
  const registry = new Registry();
  const isRoute = (route: string) => sources.routes().includes(route);
  const decisions = decisionMetrics(registry, (route) => (isRoute(route) ? route : UNKNOWN_ROUTE));
  const backends = backendMetrics(registry);
  const reloads = new Counter({
    name: `${PREFIX}config_reloads_total`,
    help: 'Configuration reloads by result',
    labelNames: ['result'],
    // With `serve --workers N` every worker reloads once per reload: the group reloaded once.
    aggregator: 'max',
    registers: [registry],
  });
  for (const result of ['ok', 'invalid'] as const) reloads.inc({ result }, 0);

  new Gauge({
    name: `${PREFIX}backend_circuit_open`,
    help: "1 while a backend's circuit breaker is open (it skips the backend, cooling down), else 0",
    labelNames: ['backend'],
    registers: [registry],
    // Each worker has its own circuits: the group's is open while any worker's is.
    aggregator: 'max',
    collect() {
      this.reset();
      // Half-open is a cool-down over: the next check asks the backend, so an idle route's alert does not fire on.
      for (const [backend, { circuit }] of Object.entries(sources.health().backends))
        this.set({ backend }, circuit === 'open' ? 1 : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}cache_entries`,
    help: 'Decisions and token bindings held by the memory store (0 with Redis, whose own count is DBSIZE)',
    registers: [registry],
    collect() {
      this.set(sources.health().store.entries ?? 0);
    },
  });
  new Gauge({
    name: `${PREFIX}store_up`,
    help: '1 while the decision store answers, else 0',
    registers: [registry],
    aggregator: 'min',
    collect() {
      this.set(sources.health().store.ok ? 1 : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}sessions_live`,
    help: 'Live viewing sessions by route (absent while sessions are not tracked)',
    labelNames: ['route'],
    registers: [registry],
    collect() {
      this.reset();
      if (sources.sessions === undefined) return;
      // A route a reload removed keeps its live sessions until they end: still counted, under its name.
      const routes = new Set([...sources.routes(), ...sources.sessions.liveRoutes()]);
      for (const route of routes) this.set({ route }, sources.sessions.liveCount(route));
    },
  });
  // Before any row is lost: a database that is down shows here at once, where stats_rows_dropped_total moves only
  // once the queue is full. Absent with no database to write to (stats.store: off, the other workers).
  new Gauge({
    name: `${PREFIX}stats_store_up`,
    help: '1 while session rows are written to the statistics database, 0 while it fails (rows wait in memory)',
    registers: [registry],
    aggregator: 'min',
    collect() {
      this.reset();
      const writer = sources.stats?.writerState();
      if (writer !== undefined) this.set(writer.ok ? 1 : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}stats_rows_queued`,
    help: 'Session rows waiting to be written to the statistics database',
    registers: [registry],
    collect() {
      this.reset();
      const writer = sources.stats?.writerState();
      if (writer !== undefined) this.set(writer.queued);
    },
  });
  droppedCounter(
    registry,
    `${PREFIX}stats_rows_dropped_total`,
    "Statistics rows dropped because the statistics store's write queue was full",
    () => sources.stats?.droppedRows() ?? 0,
  );
  droppedCounter(
    registry,
    `${PREFIX}log_lines_dropped_total`,
    'Log lines dropped because stdout was not read (more than 16 MiB waited for its reader)',
    () => sharedStdout().dropped(),
  );
  collectDefaultMetrics({ register: registry });

  const observer: BridgeObserver = {
    checkAnswered: (event) => decisions.checkAnswered(event),
    backendAsked: (event) => backends.backendAsked(event),
  };
  return {
    registry,
    observer,
    totals: () => decisions.totals(),
    backendRecent: (backend: string) => backends.recent(backend),
    reloaded: (result: ReloadResult) => {
      reloads.inc({ result });
      if (result === 'ok') decisions.routesChanged();
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
