import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

export interface NginxServer {
  /** nginx's error log so far (startup problems, upstream errors). */
  errorLog(): string;
  /** Fast shutdown (SIGTERM); resolves once the master has exited. */
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** A temp folder of the test's own: nginx.conf, the pid file, logs and temp paths go there. */
  readonly dir: string;
  /** What follows the prelude: `http { ... }`, `rtmp { ... }`. */
  readonly config: string;
  /** The loopback port the config listens on; nginx counts as started once it accepts there. */
  readonly port: number;
  /** Modules to load (`/usr/lib/nginx/modules/ngx_rtmp_module.so`). */
  readonly modules?: readonly string[];
}

const NOT_INSTALLED =
  'nginx is not installed, so the nginx tests cannot run: scripts/install-test-deps.sh installs it (Debian packages nginx, libnginx-mod-rtmp)';
const READY_WITHIN_MS = 10_000;

/**
 * Everything that would otherwise touch the system's nginx (pid, logs, temp
 * paths) kept in the test's folder. Run as root, the workers run as nobody, as
 * Debian's nginx would run them as www-data: they only read what the test wrote.
 */
function prelude({ dir, modules = [] }: NginxOptions): string {
  return [
    ...modules.map((module) => `load_module ${module};`),
    'daemon off;',
    'worker_processes 1;',
    ...(process.getuid?.() === 0 ? ['user nobody nogroup;'] : []),
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} info;`,
    'events { worker_connections 64; }',
  ].join('\n');
}

/** The temp paths and logs of an `http` block, inside the test's folder. */
export function httpPaths(dir: string): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
    (kind) => `${kind}_temp_path ${join(dir, `${kind}_temp`)};`,
  );
  return [...temp, `access_log ${join(dir, 'access.log')};`].join('\n');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const running = new Set<ChildProcess>();

/** SIGKILL to nginx's own process group: its workers go with the master instead of keeping the port. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

/** Kills every nginx a test file started and did not stop (a failed hook leaves them behind). */
export function killLeftoverNginx(): void {
  for (const child of running) killGroup(child);
  running.clear();
}

/** Debian's nginx in the foreground with the test's config, once it accepts on `port`. */
export async function startNginx(options: NginxOptions): Promise<NginxServer> {
  const { dir, port } = options;
  const conf = join(dir, 'nginx.conf');
  const errorLogFile = join(dir, 'error.log');
  writeFileSync(conf, `${prelude(options)}\n${options.config}\n`);
  writeFileSync(errorLogFile, '');
  const errorLog = () => readFileSync(errorLogFile, 'utf8');
  const child = spawn('nginx', ['-p', dir, '-e', errorLogFile, '-c', conf], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'ENOENT' ? NOT_INSTALLED : `nginx: ${error.message}`)),
    );
    child.once('exit', (code, signal) =>
      reject(new Error(`nginx exited at start (${signal ?? code}):\n${output}${errorLog()}`)),
    );
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + READY_WITHIN_MS;
  while (!(await Promise.race([accepts(port), failed]))) {
    if (Date.now() > deadline) {
      killGroup(child);
      throw new Error(`nginx did not accept on port ${port} within ${READY_WITHIN_MS} ms:\n${output}${errorLog()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.removeAllListeners('exit');
  return {
    errorLog,
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
      running.delete(child);
    },
  };
}
