import type { Bridge } from '../bridge.js';
import { formatHostPort, type BridgeConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { createMetrics, type ReloadResult } from '../metrics/metrics.js';
import type { BridgeObserver } from '../observe.js';
import type { AdminActions, ReloadOutcome } from './actions.js';
import { audited } from './audit.js';
import { AdminProblem } from './body.js';
import { adminAuth } from './auth.js';
import { STATUS_PAGE } from './page.js';
import { adminRoutes } from './routes.js';
import { adminHandler, listenAdmin, type RunningAdmin } from './server.js';
import { backendViews, identify, statusOf, type LastReload, type Readiness } from './status.js';
import type { SessionsView, StatsView, StreamingServerView } from './views.js';
import { withWorkers, type WorkerStatus } from '../cluster/groupStatus.js';

export interface OperationsOptions {
  /** The configuration in force (it changes with a reload). */
  readonly config: () => BridgeConfig;
  /** The file it was read from, named with its digest on `/admin/status`. */
  readonly configFile: string;
  /** The bridge in force (a reload may replace it). */
  readonly bridge: () => Bridge;
  readonly log: Logger;
  readonly actions?: AdminActions;
  readonly sessions?: SessionsView;
  readonly stats?: StatsView;
  /** Each streaming server API's connector state, for `/admin/status`. */
  readonly streamingServers?: () => readonly StreamingServerView[];
  /** systemd's socket named `admin`, when the sockets are handed over. */
  readonly inheritedAdmin?: { readonly fd: number };
  readonly now?: () => Date;
  /** Set in the worker that runs the admin listener for `serve --workers N`: metrics and status of the whole group. */
  readonly group?: GroupView;
}

export interface GroupView {
  /** Every worker's metrics, merged (Prometheus text). */
  metrics(): Promise<string>;
  /** Each worker's part of `/admin/status`. */
  statuses(): Promise<readonly WorkerStatus[]>;
}

/** Admin request bodies are tiny JSON objects: `{token}`, `{route}`. */
const ADMIN_BODY = { maxBytes: 16_384, timeoutMs: 5000 };

/**
 * What the group's primary gathers (every worker's metrics or status): when it does not answer (stopped, or too
 * busy), a 503 that says so rather than a 500; the decisions do not depend on it.
 */
function fromPrimary<T>(gathered: Promise<T>): Promise<T> {
  return gathered.catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AdminProblem(503, `the group's primary did not answer (${reason}); checks are still answered`);
  });
}

/**
 * Everything operations add to a running bridge: metrics (whose `observer`
 * the decision listener and the bridge's adapters are given), readiness, and
 * the admin listener. Created before the bridge, so the bridge can be built
 * with the observer; `start()` opens the admin listener once the decisions
 * are being served.
 */
export function createOperations(options: OperationsOptions) {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  let readiness: Readiness = 'starting';
  let configIdentity = identify(options.configFile);
  let lastReload: LastReload | undefined;
  let running: RunningAdmin | undefined;
  const hasRoute = (route: string) => Object.hasOwn(options.config().routes, route);
  const metrics = createMetrics({
    health: () => options.bridge().health(),
    routes: () => Object.keys(options.config().routes),
    sessions: options.sessions,
    stats: options.stats,
  });

  /** Counts a reload however it was asked for (SIGHUP, the file changing, `POST /admin/reload`). */
  function reloaded(outcome: ReloadOutcome | { readonly result: 'failed'; readonly error: string }): void {
    metrics.reloaded(outcome.result as ReloadResult);
    lastReload = { ...outcome, at: now().toISOString() } as LastReload;
    if (outcome.result === 'ok') configIdentity = identify(options.configFile);
  }

  const reload = options.actions?.reload;
  const actions: AdminActions = {
    ...audited(options.actions ?? {}, options.log),
    reload:
      reload &&
      (async () => {
        try {
          const outcome = await reload();
          reloaded(outcome);
          return outcome;
        } catch (error) {
          reloaded({ result: 'failed', error: error instanceof Error ? error.message : String(error) });
          throw error;
        }
      }),
  };

  const { group } = options;
  const status = () =>
    statusOf({
      bridge: options.bridge,
      config: options.config,
      metrics,
      configIdentity: () => configIdentity,
      lastReload: () => lastReload,
      readiness: () => readiness,
      startedAt,
      now,
      sessions: options.sessions,
      stats: options.stats,
      streamingServers: options.streamingServers,
    });
  const handler = adminHandler({
    auth: adminAuth(options.config().admin.token, now),
    routes: adminRoutes({ actions, sessions: options.sessions, stats: options.stats, hasRoute, now, body: ADMIN_BODY }),
    registry: group
      ? { metrics: () => fromPrimary(group.metrics()), contentType: metrics.registry.contentType }
      : metrics.registry,
    readiness: () => readiness,
    page: STATUS_PAGE,
    // Read once, as the token and the address are: a reload that changes them says a restart is needed.
    hosts: options.config().admin.hosts,
    log: options.log,
    status: group ? async () => withWorkers(status(), await fromPrimary(group.statuses())) : status,
  });

  return {
    /** This process's backends as `/admin/status` shows them: what a worker of a group tells the lead. */
    backends: () => backendViews(options.bridge().health(), options.config(), metrics),
    /**
     * Give it to `createBridge` (backend requests) and to the decision listener (answered checks).
     * Without an admin listener nobody can read the metrics, so nothing is counted.
     */
    observer: (options.config().admin.enabled ? metrics.observer : {}) as BridgeObserver,
    metrics,
    reloaded,
    /** Opens the admin listener (unless `admin.listen: off`); undefined when its default port was taken. */
    async start(): Promise<RunningAdmin | undefined> {
      const admin = options.config().admin;
      if (!admin.enabled) return undefined;
      running = await listenAdmin(handler, {
        host: admin.host,
        port: admin.port,
        explicit: admin.explicit,
        inherited: options.inheritedAdmin,
        tokenSet: admin.token !== undefined,
        log: options.log,
      });
      if (running)
        options.log.info('admin listener started', {
          address:
            typeof running.address === 'string'
              ? running.address
              : formatHostPort(running.address.address, running.address.port),
          token: admin.token !== undefined,
        });
      return running;
    },
    /** `/ready` answers 200 from now on: the decision listener serves. */
    serving(): void {
      readiness = 'serving';
    },
    /** `/ready` answers 503 from now on: load balancers stop sending checks while in-flight ones finish. */
    draining(): void {
      readiness = 'draining';
    },
    /** Closes the admin listener, answering the requests under way within `graceMs`. */
    async close(graceMs = 0): Promise<void> {
      await running?.close(graceMs);
    },
  };
}

export type Operations = ReturnType<typeof createOperations>;
