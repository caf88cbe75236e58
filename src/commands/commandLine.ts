import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config/document.js';
import { PACKAGE_ROOT, VERSION } from '../packageRoot.js';
import { RequestProblem } from '../requestProblem.js';
import type { ProbeOptions } from './probe.js';

/*
 * The command line: commands, options, help and exit codes, written to the streams it is given so that tests
 * of what it answers need not start a process. Each command's code is loaded when it runs: `--help` or
 * `check-config` need not load the server.
 */

const NAME = 'iptv-auth-bridge';
/** Where `replay` listens without --listen: next to the bridge's own default, 8088. */
const DEFAULT_REPLAY_LISTEN = '127.0.0.1:8090';
const EXAMPLE_CONFIG = join(PACKAGE_ROOT, 'config', 'example.yaml');

/** Exit codes: 0 done (or allowed), 1 a bad config file or a denied probe, 2 a usage error. */
const USAGE_ERROR = 2;
const CONFIG_ERROR = 1;

export interface CommandLineIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  /** Called with the command's name before it runs (the CLI lets every command but `serve` end on SIGHUP). */
  readonly starting: (command: string) => void;
}

function configFile(given: string | undefined): string {
  if (given !== undefined) return given;
  return existsSync('bridge.yaml') ? 'bridge.yaml' : EXAMPLE_CONFIG;
}

function configOption(): Option {
  return new Option(
    '-c, --config <file>',
    'the config file (default: ./bridge.yaml if present, else the shipped example)',
  ).argParser((value) => {
    if (value === '') throw new CommanderError(USAGE_ERROR, 'iab.usage', 'error: --config needs a file name');
    return value;
  });
}

/** A command that reads its own options, help included: commander hands it its arguments untouched. */
function selfParsing(
  program: Command,
  name: string,
  description: string,
  run: (args: string[]) => Promise<number>,
  finish: (code: number) => void,
): void {
  program
    .command(name)
    .description(description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_options: unknown, command: Command) => finish(await run(command.args)));
}

/** `finish` takes a finished command's exit code; commands that keep serving leave it unset. */
function buildProgram(io: CommandLineIo, finish: (code: number) => void): Command {
  const program = new Command(NAME)
    // Before the commands are added: each inherits where its help and errors are written.
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .description('Authorization bridge between IPTV streaming servers and middleware; see README.md.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .showHelpAfterError(`(${NAME} --help lists the commands, ${NAME} COMMAND --help their options)`)
    .exitOverride()
    .hook('preAction', (_program, action) => io.starting(action.name()));

  program
    .command('serve')
    .description('run the bridge (the default command)')
    .addOption(configOption())
    .option(
      '--record <dir>',
      'write every middleware exchange to DIR as a fixture file, secrets masked',
      // `--record -c bridge.yaml` took `-c` as the folder and then refused the file as an extra argument.
      (dir: string) => {
        if (dir.startsWith('-')) throw new InvalidArgumentError(`expected a folder, not the option ${dir}`);
        return dir;
      },
    )
    .addOption(
      new Option(
        '--workers <n>',
        'worker processes serving on the one listener, sharing bindings, limits, revoke, flush and reload: ' +
          'a number, or auto (one per core)',
      ).default('1'),
    )
    .action(async (options: { config?: string; record?: string; workers: string }, command: Command) => {
      if (options.record === '') command.error('error: --record needs a folder', { exitCode: USAGE_ERROR });
      const { parseWorkerCount, MAX_WORKERS } = await import('../cluster/workerCount.js');
      const workers = parseWorkerCount(options.workers);
      if (workers === undefined)
        command.error(`error: --workers: expected a number from 1 to ${MAX_WORKERS}, or auto`, {
          exitCode: USAGE_ERROR,
        });
      const { serveWorkers } = await import('../cluster/serveGroup.js');
      await serveWorkers(configFile(options.config), workers!, { recordDir: options.record });
    });

  program
    .command('check-config')
    .description('validate a config file and its users file, print it with secrets masked; warn about likely mistakes')
    .addOption(configOption())
    .action(async (options: { config?: string }) => {
      const { checkConfigCommand } = await import('./checkConfig.js');
      finish(checkConfigCommand(configFile(options.config), io.env, io.stdout, io.stderr));
    });

  program
    .command('probe')
    .description(
      'decide one check step by step, live against the middlewares and without the cache: why was this viewer denied?',
    )
    .addOption(configOption())
    .option('--route <name>', 'the route to decide on', 'default')
    .addOption(
      new Option('--dialect <caller>', 'ask as this caller would').choices(['cesbo', 'flussonic']).default('cesbo'),
    )
    .requiredOption('--query <query>', "the viewer's query string, e.g. 'token=abc' ('' for none)")
    .option('--ip <ip>', "the viewer's IP address")
    .option('--path <path>', 'the path the viewer asked for, e.g. /play/a001/index.m3u8')
    .option('--channel <id>', 'the channel id')
    .option('--session <id>', "the streaming server's session id")
    .option('--json', 'print the trace as JSON')
    .addHelpText('after', '\nExit codes: 0 allowed, 1 denied, 2 a usage, input or config error.')
    .action(async (options: ProbeOptions & { config?: string }) => {
      const { probeCommand } = await import('./probe.js');
      try {
        finish(await probeCommand(configFile(options.config), options, io.env, io.stdout));
      } catch (error) {
        if (!(error instanceof ConfigError || error instanceof RequestProblem)) throw error;
        const message =
          error instanceof RequestProblem
            ? `probe: the check cannot be decided (${error.status}): ${error.message}`
            : error.message;
        throw new CommanderError(USAGE_ERROR, 'iab.probe', message);
      }
    });

  program
    .command('replay')
    .description('serve a fixture folder as a simulated middleware')
    .argument('<dir>', 'the fixture folder')
    .option('--listen <host:port>', 'where to listen', DEFAULT_REPLAY_LISTEN)
    .action(async (dir: string, options: { listen: string }, command: Command) => {
      const { parseListen, replay } = await import('./replay.js');
      const address = parseListen(options.listen);
      if (!address)
        command.error(`error: --listen: expected HOST:PORT with an IP address, e.g. ${DEFAULT_REPLAY_LISTEN}`, {
          exitCode: USAGE_ERROR,
        });
      await replay(dir, address!);
    });

  selfParsing(
    program,
    'securetoken',
    'print a securetoken link token (securetoken --help for its options)',
    async (args) => {
      const { securetokenCommand } = await import('./securetoken.js');
      return securetokenCommand(args, io.env, io.stdout, io.stderr);
    },
    finish,
  );
  selfParsing(
    program,
    'stats',
    'viewing statistics from the statistics store (stats --help for its options)',
    async (args) => {
      const { statsCommand } = await import('./stats.js');
      return statsCommand(args, configFile, io.stdout, io.stderr);
    },
    finish,
  );

  for (const command of program.commands) refuseRepeatedOptions(command);
  return program;
}

/**
 * An option given twice is a usage error (exit 2), not the last one kept: `probe --ip A --ip B` would decide for B
 * without a word, as an admin parameter given twice would (the admin routes refuse that too).
 */
function refuseRepeatedOptions(command: Command): void {
  const given = new Set<string>();
  for (const option of command.options) {
    const name = option.name();
    command.on(`option:${name}`, () => {
      if (given.has(name)) throw new CommanderError(USAGE_ERROR, 'iab.usage', `error: --${name} given more than once`);
      given.add(name);
    });
  }
}

const SHOWN = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/** No command, or options only, means `serve`, as it always has. */
function withDefaultCommand(argv: string[]): string[] {
  const first = argv[0];
  if (first === undefined) return ['serve'];
  return first.startsWith('-') && !['-h', '--help', '-V', '--version'].includes(first) ? ['serve', ...argv] : argv;
}

/** The exit code of an error a command ended with, its message written where the CLI writes it. */
function failure(error: unknown, stderr: Writable): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its own errors; ours it has not.
    if (error.code.startsWith('iab.')) stderr.write(`${error.message}\n`);
    if (!SHOWN.has(error.code)) return USAGE_ERROR;
    // `help <command>` for a command that does not exist: commander shows the general help, as an error.
    if (error.exitCode === 0) return 0;
    stderr.write(`error: help names an unknown command\n`);
    return USAGE_ERROR;
  }
  if (error instanceof ConfigError) {
    stderr.write(`${error.message}\n`);
    return CONFIG_ERROR;
  }
  stderr.write(`${NAME}: ${(error as Error).message ?? String(error)}\n`);
  return 1;
}

/**
 * Runs the command `argv` names (process.argv without node and the script). Resolves with its exit code once
 * a command has finished, or undefined once `serve` or `replay` serves (it goes on until stopped).
 */
export async function runCommandLine(argv: string[], io: CommandLineIo): Promise<number | undefined> {
  let code: number | undefined;
  try {
    await buildProgram(io, (finished) => (code = finished)).parseAsync(withDefaultCommand(argv), { from: 'user' });
  } catch (error) {
    return failure(error, io.stderr);
  }
  return code;
}
