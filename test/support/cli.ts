import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCommandLine } from '../../src/commands/commandLine.js';
import { ConfigError } from '../../src/config/document.js';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');

function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does it first)`);
}

/**
 * A new working folder for a CLI process, so that what it keeps relative to it (`./data/stats.db`, the default
 * statistics file) is its own: in the repository's folder, every test's bridge wrote to one file that grew with each
 * run (46 MB opened at each start cost 230 ms of CPU) and that bridges of files running side by side waited on.
 */
export function workFolder(): string {
  return mkdtempSync(join(tmpdir(), 'bridge-cwd-'));
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real CLI to completion. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Finished> {
  assertBuilt();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? workFolder(),
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A stream that keeps what is written to it. */
function collector(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/**
 * Runs a command's own function in this process, for tests about what it prints and answers, not about the
 * process (that is what runCli is for): far cheaper than starting the CLI. A ConfigError is answered as the
 * CLI answers it for check-config, stats and serve: its message on stderr, exit 1.
 */
export async function runInProcess(
  command: (out: Writable, err: Writable) => number | Promise<number>,
): Promise<Finished> {
  const [out, err] = [collector(), collector()];
  let code: number;
  try {
    code = await command(out.stream, err.stream);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    err.stream.write(`${error.message}\n`);
    code = 1;
  }
  return { code, stdout: out.text(), stderr: err.text() };
}

/**
 * The command line (src/commands/commandLine.ts) run in this process: for tests of what it answers to a command
 * that finishes (usage errors, help, exit codes), not of the process; runCli starts the real one. A command
 * that went on serving here would outlive the test, so that is an error.
 */
export function runCliInProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return runInProcess(async (stdout, stderr) => {
    const io = { stdout, stderr, env: { ...process.env, ...env }, starting: () => undefined };
    const code = await runCommandLine(args, io);
    if (code === undefined) throw new Error(`${args.join(' ')}: started serving in the test process`);
    return code;
  });
}

export interface Serving {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/**
 * Whether process `pid` has a handler for `signal` (its SigCgt mask in /proc): the CLI sets its SIGHUP one first
 * thing, so it says the program's own code has started running.
 */
export function handlesSignal(pid: number, signal: NodeJS.Signals): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return false;
  }
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return mask !== undefined && ((BigInt(`0x${mask}`) >> BigInt(constants.signals[signal] - 1)) & 1n) === 1n;
}

/**
 * Whether process `pid` has `target` open: a file's path, or what the link of a descriptor that is none says
 * (`anon_inode:inotify`, what fs.watch holds on Linux).
 */
export function holdsOpen(pid: number, target: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === target;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** The address in a "listening" log line, JSON or text format. */
function listeningAddress(line: string): string | undefined {
  const text = /\blistening address=(\S+)/.exec(line);
  if (text) return text[1];
  try {
    const entry = JSON.parse(line) as { message?: string; address?: string };
    return entry.message === 'listening' ? entry.address : undefined;
  } catch {
    return undefined;
  }
}

const started = new Set<ChildProcess>();

/** Kills every `serve` a test started and did not stop (a failed assertion leaves them behind). */
export function killLeftoverServers(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.clear();
}

/**
 * Starts `serve` and resolves once its "listening" line names the address. `readyWithinMs` only turns a hang
 * into a failure that shows the output: a start took over 10 s on two cores at a load of 14.
 */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}, readyWithinMs = 15_000): Promise<Serving> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, 'serve', ...args], {
    cwd: workFolder(),
    env: { ...process.env, ...env },
  });
  started.add(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no "listening" line within ${readyWithinMs / 1000} s:\n${output}`));
    }, readyWithinMs);
    let found = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (found) return;
      const address = output
        .split('\n')
        .map(listeningAddress)
        .find((found) => found !== undefined);
      if (address) {
        found = true;
        clearTimeout(timer);
        resolve({ child, url: `http://${address}`, output: () => output, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${output}`));
    });
  });
}
