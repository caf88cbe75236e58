import type { RequestListener } from 'node:http';
import type { Bridge } from '../bridge.js';
import type { BridgeConfig } from '../config/schema.js';
import type { DecisionLog, Logger } from '../log.js';
import type { BridgeObserver } from '../observe.js';
import { createRequestListener } from './app.js';

/** What the listener needs beside the bridge and its config: where it logs, and who watches the decisions. */
export interface ListenerWiring {
  readonly log: Logger;
  /** Where decision lines go; by default through `log`. */
  readonly decisions?: DecisionLog;
  readonly observer?: BridgeObserver;
}

/**
 * The decision listener of a bridge under one config: its decider and health,
 * the config's trusted callers and request limits. `serve` builds one at start
 * and a new one on every reload; the tests build theirs the same way, so what
 * they exercise is wired as production is.
 */
export function bridgeRequestListener(
  bridge: Pick<Bridge, 'decider' | 'health'>,
  config: Pick<BridgeConfig, 'trustedCallers' | 'limits'>,
  { log, decisions, observer }: ListenerWiring,
): RequestListener {
  return createRequestListener({
    decider: bridge.decider,
    trustedCallers: config.trustedCallers,
    maxQueryBytes: config.limits.maxQueryBytes,
    bodyLimits: config.limits,
    log,
    decisions,
    observer,
    health: () => bridge.health(),
  });
}
