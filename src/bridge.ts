import { isDeepStrictEqual } from 'node:util';
import { createAdapter } from './adapters/factory.js';
import { observedAdapter } from './adapters/observed.js';
import { MiddlewareClient, type ExchangeObserver } from './adapters/transport.js';
import { type Clock, systemClock } from './clock.js';
import type { BridgeConfig } from './config/schema.js';
import type { Logger } from './log.js';
import type { BridgeObserver } from './observe.js';
import { createDecider } from './pipeline/pipeline.js';
import { revocation, type Revocation } from './pipeline/revoke.js';
import { loadLocalUsers, openLocalUsers, type LocalUsers } from './policies/users/localUsers.js';
import type { Decider } from './pipeline/types.js';
import {
  withCircuitBreaker,
  type CircuitChange,
  type CircuitState,
  type GuardedAdapter,
} from './resilience/circuitBreaker.js';
import { createStore } from './store/factory.js';
import type { Store, StoreHealth } from './store/types.js';

export interface Bridge extends Revocation {
  /** Decides with the configuration in force when each check starts: a check never sees two. */
  readonly decider: Decider;
  /** For `/healthz`: whether the store answers, and each backend's circuit. */
  health(): BridgeHealth;
  /**
   * Puts another validated configuration's routes, backends and policies in
   * force; checks already under way finish on the previous one. The store
   * stays (its settings take a restart). Rejects, changing nothing, when the
   * new users file cannot be used.
   */
  reconfigure(config: BridgeConfig): Promise<void>;
  /** The store's connection-limit counts, for keeping them to what the streaming servers have. */
  readonly sessionCounts: Pick<Store, 'admitSession' | 'releaseSession'>;
  close(): Promise<void>;
}

export interface BridgeHealth {
  /** `degraded` while the store cannot answer or a backend's circuit is open; the bridge still decides. */
  readonly status: 'ok' | 'degraded';
  readonly store: StoreHealth;
  readonly backends: Record<string, { readonly circuit: CircuitState }>;
}

export interface BridgeOptions {
  /** Sees every middleware exchange (`serve --record`). */
  readonly observeExchange?: ExchangeObserver;
  /** Sees every backend request's outcome and duration (metrics). */
  readonly observer?: BridgeObserver;
  /** The store to use instead of the one `cache.store` names (a worker's, shared through the primary). */
  readonly store?: Store;
  /** What circuit cool-downs and remembered passwords run on (tests move it by hand). */
  readonly clock?: Clock;
}

/** Everything one configuration decides with; replaced as a whole on a reload. */
interface Routing {
  readonly config: BridgeConfig;
  readonly adapters: ReadonlyMap<string, GuardedAdapter>;
  readonly localUsers?: LocalUsers;
  readonly decider: Decider;
}

interface Shared {
  readonly client: MiddlewareClient;
  readonly store: Store;
  readonly log: Logger;
  readonly observer?: BridgeObserver;
  readonly clock: Clock;
}

/** The log lines of a circuit opening and closing. */
function logCircuitChange(log: Logger, change: CircuitChange): void {
  if (change.state === 'open') {
    const { backend, failures, cooldownSeconds, reason } = change;
    log.warn('backend circuit opened', { backend, failures, cooldownSeconds, reason });
  } else {
    log.info('backend circuit closed', { backend: change.backend });
  }
}

/**
 * A backend whose settings did not change keeps its adapter, and so its
 * circuit: a reload must not send checks to a middleware known to be down.
 */
function adaptersFor(
  config: BridgeConfig,
  previous: Routing | undefined,
  { client, log, observer, clock }: Shared,
): Map<string, GuardedAdapter> {
  return new Map(
    Object.entries(config.backends).map(([name, backend]) => {
      const kept =
        previous && isDeepStrictEqual(previous.config.backends[name], backend)
          ? previous.adapters.get(name)
          : undefined;
      return [
        name,
        kept ??
          observedAdapter(
            withCircuitBreaker(createAdapter(name, backend, client), backend.breaker, {
              clock,
              onChange: (change) => logCircuitChange(log, change),
            }),
            observer,
          ),
      ];
    }),
  );
}

const hasLocalUsers = (config: BridgeConfig) => config.users.length > 0 || config.usersFile !== undefined;

/** `localUsers` are opened first: an unusable users file throws before anything else is built. */
function routingFor(
  config: BridgeConfig,
  previous: Routing | undefined,
  shared: Shared,
  localUsers: LocalUsers | undefined,
): Routing {
  try {
    const adapters = adaptersFor(config, previous, shared);
    return {
      config,
      adapters,
      localUsers,
      decider: createDecider(config, adapters, shared.store, shared.log, localUsers, { clock: shared.clock }),
    };
  } catch (error) {
    localUsers?.close();
    throw error;
  }
}

/** Wires a validated configuration into a store, adapters and route pipelines. */
export function createBridge(config: BridgeConfig, log: Logger, options: BridgeOptions = {}): Bridge {
  const shared: Shared = {
    client: new MiddlewareClient(options.observeExchange, config.limits.middlewareConnections),
    store: options.store ?? createStore(config.cache, log, options.clock),
    log,
    observer: options.observer,
    clock: options.clock ?? systemClock,
  };
  const startUsers = hasLocalUsers(config) ? openLocalUsers(config, log, process.env, shared.clock) : undefined;
  let routing = routingFor(config, undefined, shared, startUsers);
  return {
    // Each call reads the routing once: a check keeps the pipeline it started on until it is answered.
    decider: {
      hasRoute: (name) => routing.decider.hasRoute(name),
      decideNow: (name, viewer) => routing.decider.decideNow?.(name, viewer),
      decide: (name, viewer) => routing.decider.decide(name, viewer),
    },
    ...revocation(shared.store),
    sessionCounts: shared.store,
    health: () => {
      const backends = Object.fromEntries(
        [...routing.adapters].map(([name, adapter]) => [name, { circuit: adapter.circuit() }]),
      );
      const storeHealth = shared.store.health();
      // Half-open (the cool-down over) is not degraded: the next check asks the backend again.
      const degraded = !storeHealth.ok || Object.values(backends).some(({ circuit }) => circuit === 'open');
      return { status: degraded ? 'degraded' : 'ok', store: storeHealth, backends };
    },
    async reconfigure(next) {
      // Read in a thread of its own: checks go on with the running users while a large users file is parsed.
      const localUsers = hasLocalUsers(next)
        ? await loadLocalUsers(next, shared.log, process.env, shared.clock)
        : undefined;
      const previous = routing;
      routing = routingFor(next, previous, shared, localUsers);
      // Stops the old users file watch. Checks still on the old routing can go on identifying users:
      // closing only stops its timers and forgets remembered password results.
      previous.localUsers?.close();
    },
    close: async () => {
      routing.localUsers?.close();
      await shared.client.close();
      await shared.store.close();
    },
  };
}
