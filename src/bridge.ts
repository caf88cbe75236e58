import { createAdapter } from './adapters/factory.js';
import { MiddlewareClient } from './adapters/transport.js';
import type { BridgeConfig } from './config/schema.js';
import type { Logger } from './log.js';
import { createDecider } from './pipeline/pipeline.js';
import type { Decider } from './pipeline/types.js';

export interface Bridge {
  readonly decider: Decider;
  close(): Promise<void>;
}

/** Wires a validated configuration into adapters and route pipelines. */
export function createBridge(config: BridgeConfig, log: Logger): Bridge {
  const client = new MiddlewareClient();
  const adapters = new Map(Object.entries(config.backends).map(([name, backend]) => [name, createAdapter(name, backend, client)]));
  return {
    decider: createDecider(config, adapters, log),
    close: () => client.close(),
  };
}
