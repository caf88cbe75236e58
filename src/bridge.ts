import { createAdapter } from './adapters/factory.js';
import { observedAdapter } from './adapters/observed.js';
import { MiddlewareClient, type ExchangeObserver } from './adapters/transport.js';
import type { BridgeConfig } from './config/schema.js';
import type { Logger } from './log.js';
import type { BridgeObserver } from './observe.js';
import { createDecider } from './pipeline/pipeline.js';
import { openLocalUsers } from './policies/users/localUsers.js';
import type { Decider } from './pipeline/types.js';
import { withCircuitBreaker, type CircuitState } from './resilience/circuitBreaker.js';
import { createStore } from './store/factory.js';
import type { StoreHealth } from './store/types.js';

export interface Bridge {
  readonly decider: Decider;
  /** For `/healthz`: whether the store answers, and each backend's circuit. */
  health(): BridgeHealth;
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
}

/** Wires a validated configuration into a store, adapters and route pipelines. */
export function createBridge(config: BridgeConfig, log: Logger, options: BridgeOptions = {}): Bridge {
  const client = new MiddlewareClient(options.observeExchange);
  const localUsers = config.users.length > 0 || config.usersFile !== undefined ? openLocalUsers(config, log) : undefined;
  const store = createStore(config.cache, log);
  const adapters = new Map(
    Object.entries(config.backends).map(([name, backend]) => [name, observedAdapter(withCircuitBreaker(createAdapter(name, backend, client), backend.breaker, log), options.observer)]),
  );
  return {
    decider: createDecider(config, adapters, store, log, localUsers),
    health: () => {
      const backends = Object.fromEntries([...adapters].map(([name, adapter]) => [name, { circuit: adapter.circuit() }]));
      const storeHealth = store.health();
      const degraded = !storeHealth.ok || Object.values(backends).some(({ circuit }) => circuit !== 'closed');
      return { status: degraded ? 'degraded' : 'ok', store: storeHealth, backends };
    },
    close: async () => {
      localUsers?.close();
      await client.close();
      await store.close();
    },
  };
}
