#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { createBridge } from './bridge.js';
import { ConfigError, loadConfigFile } from './config/load.js';
import { maskSecrets } from './config/mask.js';
import type { BridgeConfig } from './config/schema.js';
import { createLogger } from './log.js';
import { secretEnvValues } from './secrets.js';
import { createApp } from './server/app.js';
import { listen } from './server/listen.js';

const USAGE = `usage: iptv-auth-bridge [command] [options]

commands:
  serve [--config FILE]          run the bridge (the default command)
  check-config [--config FILE]   validate a config file and print it, secrets masked

Without --config: ./bridge.yaml if present, else the shipped example config.
`;

class UsageError extends Error {}

const EXAMPLE_CONFIG = fileURLToPath(new URL('../config/example.yaml', import.meta.url));

function configFile(given: string | undefined): string {
  if (given) return given;
  return existsSync('bridge.yaml') ? 'bridge.yaml' : EXAMPLE_CONFIG;
}

function printableConfig(config: BridgeConfig): unknown {
  const { listen: where, ...rest } = config;
  const host = where.host.includes(':') ? `[${where.host}]` : where.host;
  return maskSecrets({ listen: `${host}:${where.port}`, ...rest }, secretEnvValues(process.env));
}

async function serve(file: string): Promise<void> {
  const config = loadConfigFile(file);
  const log = createLogger(config.log);
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: String(reason) }));
  process.on('uncaughtException', (error) => log.error('uncaught exception', { error: error.message }));

  const bridge = createBridge(config, log);
  const app = createApp({ decider: bridge.decider, trustedCallers: config.trustedCallers, maxQueryBytes: config.limits.maxQueryBytes, log });
  const running = await listen(app, { ...config.listen, maxHeaderBytes: config.limits.maxHeaderBytes, log }).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`cannot listen on ${config.listen.host}:${config.listen.port} (listen in ${file}): ${code}`);
  });
  const { address, port } = running.address;
  log.info('listening', { address: `${address.includes(':') ? `[${address}]` : address}:${port}`, config: file });

  // In-flight decisions are bounded by their route's budget, so that is all the grace they need.
  const graceMs = Math.max(...Object.values(config.routes).map((r) => r.timeoutMs), 0) + 1000;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    void running
      .stop(graceMs)
      .then(() => bridge.close())
      .finally(() => {
        log.info('stopped');
        log.on('finish', () => process.exit(0));
        log.end();
        setTimeout(() => process.exit(0), 500).unref();
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** Runs a command; resolves with its exit code, or undefined while it keeps serving. */
async function main(argv: string[]): Promise<number | undefined> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [command = 'serve', ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  const file = configFile(values.config);
  switch (command) {
    case 'serve':
      await serve(file);
      return undefined;
    case 'check-config':
      process.stdout.write(`# ${file}: valid\n${stringify(printableConfig(loadConfigFile(file)))}`);
      return 0;
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
    } else if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`iptv-auth-bridge: ${(error as Error).message ?? String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
