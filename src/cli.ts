#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { ConfigError, loadConfigFile } from './config/load.js';
import { maskSecrets } from './config/mask.js';
import { formatHostPort, type BridgeConfig } from './config/schema.js';
import { secretEnvValues } from './secrets.js';
import { checkUsersFile } from './policies/users/localUsers.js';
import { serve } from './serve.js';
import { DEFAULT_REPLAY_LISTEN, parseListen, replay } from './commands/replay.js';
import { securetokenCommand } from './commands/securetoken.js';

const USAGE = `usage: iptv-auth-bridge [command] [options]

commands:
  serve [--config FILE] [--record DIR]
                                 run the bridge (the default command); --record writes every
                                 middleware exchange to DIR as a fixture file, secrets masked
  check-config [--config FILE]   validate a config file and print it, secrets masked
  replay DIR [--listen HOST:PORT]
                                 serve a fixture folder as a simulated middleware
                                 (default --listen ${DEFAULT_REPLAY_LISTEN})
  securetoken --secret S --ip IP (--path P | --channel C) [--ttl 3h] [--start T]
                                 print a securetoken link token (securetoken --help for more)
  stats [--config FILE] [--since 24h] [--until T] [--by channel|user|day|route] [--format table|csv|json]
                                 viewing statistics from the statistics store (stats --help)

Without --config: ./bridge.yaml if present, else the shipped example config.
`;

class UsageError extends Error {}

const EXAMPLE_CONFIG = fileURLToPath(new URL('../config/example.yaml', import.meta.url));

function configFile(given: string | undefined): string {
  if (given) return given;
  return existsSync('bridge.yaml') ? 'bridge.yaml' : EXAMPLE_CONFIG;
}

/** The effective config in the form the file takes, so the printout can be loaded back. */
function printableConfig(config: BridgeConfig): unknown {
  const { listen, ipRules, ...rest } = config;
  const printable = { listen: formatHostPort(listen.host, listen.port), ipRules: ipRules.map((rule) => `${rule.action} ${rule.range}`), ...rest };
  return maskSecrets(printable, secretEnvValues(process.env));
}

/** Runs a command; resolves with its exit code, or undefined while it keeps serving. */
async function main(argv: string[]): Promise<number | undefined> {
  // Its options are its own, so it reads its arguments itself.
  if (argv[0] === 'securetoken') return securetokenCommand(argv.slice(1), process.env, process.stdout, process.stderr);
  if (argv[0] === 'stats') return (await import('./commands/stats.js')).statsCommand(argv.slice(1), configFile, process.stdout, process.stderr);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      record: { type: 'string' },
      listen: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [command = 'serve', ...extra] = positionals;
  const positionalCount = command === 'replay' ? 1 : 0;
  if (extra.length > positionalCount) throw new UsageError(`unexpected argument: ${extra[positionalCount]}`);
  if (values.record !== undefined && command !== 'serve') throw new UsageError('--record goes with serve only');
  if (values.record === '') throw new UsageError('--record needs a folder');
  if (values.listen !== undefined && command !== 'replay') throw new UsageError('--listen goes with replay only (serve listens where its config says)');
  if (values.config === '') throw new UsageError('--config needs a file name');
  const file = configFile(values.config);
  switch (command) {
    case 'serve':
      await serve(file, { recordDir: values.record });
      return undefined;
    case 'replay': {
      const [dir] = extra;
      if (!dir) throw new UsageError('replay needs a fixture folder: replay DIR [--listen HOST:PORT]');
      const address = parseListen(values.listen ?? DEFAULT_REPLAY_LISTEN);
      if (!address) throw new UsageError(`--listen: expected HOST:PORT with an IP address, e.g. ${DEFAULT_REPLAY_LISTEN}`);
      await replay(dir, address);
      return undefined;
    }
    case 'check-config': {
      const config = loadConfigFile(file);
      checkUsersFile(config);
      process.stdout.write(`# ${file}: valid\n${stringify(printableConfig(config))}`);
      return 0;
    }
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
