import { Writable } from 'node:stream';
import winston from 'winston';
import { createBridge, type Bridge } from '../../src/bridge.js';
import type { Clock } from '../../src/clock.js';
import { validateConfig } from '../../src/config/load.js';
import type { BridgeConfig } from '../../src/config/schema.js';
import type { BridgeObserver } from '../../src/observe.js';
import { bridgeRequestListener } from '../../src/server/bridgeListener.js';

/** A logger that keeps every line as it would be written, so tests can read what was logged. */
export function memoryLogger(lines: string[]): winston.Logger {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString().trim());
      done();
    },
  });
  return winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream })],
  });
}

export interface TestBridge {
  readonly app: ReturnType<typeof bridgeRequestListener>;
  readonly config: BridgeConfig;
  readonly bridge: Bridge;
  /** Every log line so far, as JSON text. */
  readonly logs: string[];
  close(): Promise<void>;
}

export interface TestBridgeOptions {
  readonly observer?: BridgeObserver;
  /** What the bridge's circuit breakers and remembered passwords run on. */
  readonly clock?: Clock;
}

/** The real bridge (config validation, adapters, pipeline, request listener) with its log kept in memory. */
export function testBridge(document: Record<string, unknown>, { observer, clock }: TestBridgeOptions = {}): TestBridge {
  const config = validateConfig(document, 'test config', {});
  const logs: string[] = [];
  const log = memoryLogger(logs);
  const bridge = createBridge(config, log, { clock });
  const app = bridgeRequestListener(bridge, config, { log, observer });
  return { app, config, bridge, logs, close: () => bridge.close() };
}
