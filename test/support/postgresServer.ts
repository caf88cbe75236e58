import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { closedPort } from './replayServer.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const NOT_INSTALLED =
  `PostgreSQL 15 is not installed (${BIN}), so the PostgreSQL statistics tests cannot run: ` +
  'apt-get install -y --no-install-recommends postgresql-15 (.ci/run installs it when missing)';

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth, loopback only). */
  readonly url: string;
  readonly port: number;
  /** Stops the server at once (`pg_ctl stop -m immediate`): connections drop as when the database dies. */
  kill(): Promise<void>;
  /** SIGSTOP to the server and its backends: connections stay open and nothing answers, as a hung database. */
  freeze(): void;
  /** SIGCONT after `freeze`. */
  thaw(): void;
  /** Starts it again on the same port and data, resolving once it accepts connections. */
  restart(): Promise<void>;
  /** Stops it and removes its data folder. */
  destroy(): Promise<void>;
}

/** PostgreSQL refuses to run as root: as root, every command runs as the `postgres` user. */
function asPostgres(command: string, args: readonly string[]): Promise<unknown> {
  const bin = join(BIN, command);
  if (userInfo().uid !== 0) return run(bin, args);
  return run('runuser', ['-u', 'postgres', '--', bin, ...args]);
}

/** The postmaster (first line of postmaster.pid) and every process it started. */
function serverProcesses(data: string): number[] {
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        // Field 4 of /proc/<pid>/stat is the parent; the name before it is in parentheses.
        return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

/** Signals each process that is still there (a backend may have exited since it was listed). */
function signal(pids: readonly number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

/** A real PostgreSQL of its own on a free loopback port, its data in a fresh temporary folder (no fsync: test data). */
export async function startPostgres(): Promise<PostgresServer> {
  if (!existsSync(join(BIN, 'initdb'))) throw new Error(NOT_INSTALLED);
  const dir = mkdtempSync(join(tmpdir(), 'iab-pg-'));
  if (userInfo().uid === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout), Number(gid));
  }
  const data = join(dir, 'data');
  const port = await closedPort();
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const start = () =>
    asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
  const stop = (mode: 'immediate' | 'fast') =>
    asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']).catch(() => undefined);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    kill: () => stop('immediate').then(() => undefined),
    freeze: () => signal(serverProcesses(data), 'SIGSTOP'),
    thaw: () => signal(serverProcesses(data), 'SIGCONT'),
    restart: () => start().then(() => undefined),
    async destroy() {
      // A test that failed while the server was frozen must not leave it stopped for good.
      if (existsSync(join(data, 'postmaster.pid'))) signal(serverProcesses(data), 'SIGCONT');
      await stop('fast');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
