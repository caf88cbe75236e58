#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { ConfigError, loadConfigFile } from './config/load.js';
import { maskSecrets } from './config/mask.js';
import { formatHostPort, type BridgeConfig } from './config/schema.js';
import { secretEnvValues } from './secrets.js';
import { serve } from './serve.js';

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
  const { listen, ...rest } = config;
  return maskSecrets({ listen: formatHostPort(listen.host, listen.port), ...rest }, secretEnvValues(process.env));
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
  if (values.config === '') throw new UsageError('--config needs a file name');
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
