import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdminActions } from '../../src/admin/actions.js';
import { createOperations, type Operations } from '../../src/admin/operations.js';
import type { SessionsView, StatsView } from '../../src/admin/views.js';
import { createBridge, type Bridge } from '../../src/bridge.js';
import { validateConfig } from '../../src/config/load.js';
import type { BridgeConfig } from '../../src/config/schema.js';
import { bridgeRequestListener } from '../../src/server/bridgeListener.js';
import { earlyRefusals } from '../../src/server/earlyRefusal.js';
import { listen } from '../../src/server/listen.js';
import { memoryLogger } from './bridge.js';

export interface OperatedBridge {
  /** The decision listener, `http://127.0.0.1:<port>`. */
  readonly decisions: string;
  /** The admin listener, `http://127.0.0.1:<port>`. */
  readonly admin: string;
  readonly operations: Operations;
  readonly config: BridgeConfig;
  readonly configFile: string;
  readonly logs: string[];
  bridge(): Bridge;
  /** Replaces the bridge with a fresh one of the same config (what a reload or a cache flush leaves behind). */
  renew(): Promise<void>;
  close(): Promise<void>;
}

export interface OperatedOptions {
  readonly actions?: (bridge: () => OperatedBridge) => AdminActions;
  readonly sessions?: SessionsView;
  readonly stats?: StatsView;
}

/**
 * A real bridge served as `serve` serves it: the decision listener and the
 * admin listener on free loopback ports, operations observing the decision
 * path, the config written to a real file.
 */
export async function startOperatedBridge(
  document: Record<string, unknown>,
  options: OperatedOptions = {},
): Promise<OperatedBridge> {
  const withAdmin = { ...document, admin: { listen: '127.0.0.1:0', ...(document.admin as object | undefined) } };
  const configFile = join(mkdtempSync(join(tmpdir(), 'bridge-ops-')), 'bridge.json');
  writeFileSync(configFile, JSON.stringify(withAdmin));
  const config = validateConfig(withAdmin, configFile, {});
  const logs: string[] = [];
  const log = memoryLogger(logs);
  let operated: OperatedBridge;
  const operations: Operations = createOperations({
    config: () => config,
    configFile,
    bridge: () => current,
    log,
    actions: options.actions?.(() => operated),
    sessions: options.sessions,
    stats: options.stats,
  });
  let current = createBridge(config, log, { observer: operations.observer });
  // The bridge in force: `renew` replaces it behind the same listener.
  const inForce: Pick<Bridge, 'decider' | 'health'> = {
    decider: {
      hasRoute: (route) => current.decider.hasRoute(route),
      decide: (route, viewer) => current.decider.decide(route, viewer),
    },
    health: () => current.health(),
  };
  const app = bridgeRequestListener(inForce, config, { log, observer: operations.observer });
  const admin = await operations.start();
  const running = await listen(app, {
    host: '127.0.0.1',
    port: 0,
    maxHeaderBytes: config.limits.maxHeaderBytes,
    log,
    refused: earlyRefusals(log, operations.observer),
  });
  operations.serving();
  let closing: Promise<void> | undefined;
  operated = {
    decisions: `http://127.0.0.1:${running.address.port}`,
    admin: admin === undefined ? '' : `http://127.0.0.1:${(admin.address as AddressInfo).port}`,
    operations,
    config,
    configFile,
    logs,
    bridge: () => current,
    async renew() {
      const old = current;
      current = createBridge(config, log, { observer: operations.observer });
      await old.close();
    },
    close() {
      // Once: a test may stop the bridge halfway (to see what the page says) and afterAll again.
      closing ??= (async () => {
        operations.draining();
        await running.stop(1000);
        await operations.close();
        await current.close();
      })();
      return closing;
    },
  };
  return operated;
}
