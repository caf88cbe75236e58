/** The processes a benchmark run measures, each on loopback in its own process. */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI } from '../test/support/cli.js';
import { closedPort } from '../test/support/replayServer.js';
import { type Cores, onCores, SERVER_CORE } from './cores.js';

export interface Running {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export function waitForPort(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(`http://127.0.0.1:${chunk.toString().trim()}`));
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

/** /proc counts CPU time in USER_HZ, which is 100 on Linux. */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  readonly ppid: number;
  readonly ticks: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    // The command name in parentheses may hold spaces: the fields that follow start after the last ')'.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(') ') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) a process and every live descendant have used so
 * far, in seconds: nginx's workers and `serve --workers` count with their
 * master. Undefined where there is no /proc.
 */
export function cpuSeconds(pid: number): number | undefined {
  const root = procStat(pid);
  if (root === undefined) return undefined;
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const stat = /^\d+$/.test(name) ? procStat(Number(name)) : undefined;
    if (stat === undefined) continue;
    ticks.set(Number(name), stat.ticks);
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(name)]);
  }
  let total = 0;
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    total += ticks.get(next) ?? 0;
    pending.push(...(children.get(next) ?? []));
  }
  return total / TICKS_PER_SECOND;
}

const children = new Set<ChildProcess>();
// A benchmark that fails halfway must not leave servers running.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export function stopper(child: ChildProcess): () => Promise<void> {
  children.add(child);
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
}

/** A node process running `source` (after `nodeFlags`), which prints its port once it listens. */
async function startNodeSource(
  what: string,
  source: string,
  cores?: Cores,
  nodeFlags: readonly string[] = [],
): Promise<Running> {
  const nodeArgs = [...nodeFlags, '-e', source];
  const [command, args] =
    cores === undefined ? [process.execPath, nodeArgs] : onCores(cores, process.execPath, nodeArgs);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return { url: await waitForPort(child, what), pid: child.pid!, stop: stopper(child) };
}

/**
 * A bare node:http server (to be `.listen`ed) answering the very bytes of the bridge's cached allow of
 * the counting middleware's viewer: its head as one list, its body with a length, the bridge's keep-alive. It used to answer
 * `{'content-type'}` and `end('ok')`, chunked: other bytes, another write.
 */
export const PLAIN_SERVER = `require('node:http').createServer({ keepAliveTimeout: 65000 }, (req, res) => {
    res.writeHead(200, ['X-Session-Name', 'bench-user', 'Content-Type', 'text/plain; charset=utf-8', 'Content-Length', '6']);
    res.end('allow\\n', 'latin1');
  })`;

/** A bare node:http server answering 200: the ceiling any Node HTTP service reaches here. */
export function startPlainServer(): Promise<Running> {
  const source = `${PLAIN_SERVER}.listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  return startNodeSource('plain server', source, SERVER_CORE);
}

/**
 * The least a Node auth proxy can do on a miss: node:http, one request to the
 * middleware over a pooled undici connection (as many connections as the
 * bridge allows itself), its status passed on. No cache, no rules, no log:
 * the limit of the miss path. The source of a server not yet listening (as PLAIN_SERVER).
 */
export function minimalProxySource(middlewareUrl: string): string {
  const undici = createRequire(import.meta.url).resolve('undici');
  return `(() => { const pool = new (require(${JSON.stringify(undici)}).Pool)(${JSON.stringify(middlewareUrl)}, { connections: 1024 });
    return require('node:http').createServer((req, res) => {
      const query = req.url.indexOf('?');
      const answer = (status) => { res.writeHead(status); res.end(); };
      pool.request({ method: 'GET', path: '/check' + (query < 0 ? '' : req.url.slice(query)), headers: { 'x-real-ip': req.headers['x-real-ip'] ?? '' } })
        .then(({ statusCode, body }) => body.dump().then(() => answer(statusCode === 200 ? 200 : 403)), () => answer(403));
    }); })()`;
}

export function startMinimalProxy(middlewareUrl: string, nodeFlags: readonly string[] = []): Promise<Running> {
  const source = `${minimalProxySource(middlewareUrl)}.listen(0, '127.0.0.1', function () { console.log(this.address().port); });
    // An exit of its own on SIGTERM, so that a --cpu-prof among nodeFlags writes its profile.
    process.on('SIGTERM', () => process.exit(0));`;
  return startNodeSource('minimal proxy', source, SERVER_CORE, nodeFlags);
}

/**
 * A simulated middleware: allows every check after `delayMs` (denies one whose
 * query says `deny`), and counts the
 * checks it was asked (`GET /count`, `GET /reset`), so a scenario can say how
 * many requests reached it.
 */
export async function startCountingMiddleware(
  delayMs = 0,
): Promise<Running & { count(): Promise<number>; reset(): Promise<void> }> {
  const source = `let count = 0;
    require('node:http').createServer((req, res) => {
      if (req.url === '/count') return res.end(String(count));
      if (req.url === '/reset') { count = 0; return res.end('0'); }
      count++;
      const status = req.url.includes('deny') ? 403 : 200;
      const answer = () => { res.writeHead(status, {'x-session-name': 'bench-user', 'x-authduration': '600'}); res.end('ok'); };
      ${delayMs > 0 ? `setTimeout(answer, ${delayMs});` : 'answer();'}
    }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const server = await startNodeSource('middleware', source);
  return {
    ...server,
    count: async () => Number(await (await fetch(`${server.url}/count`)).text()),
    reset: async () => void (await fetch(`${server.url}/reset`)).text(),
  };
}

export interface BridgeOptions {
  /** Arguments after `serve --config FILE` (`--workers 2`). */
  readonly serveArgs?: readonly string[];
  /** Another build's CLI than this repository's dist/ (an A/B run). */
  readonly cli?: string;
  /** Node flags before the CLI (`--expose-gc`). */
  readonly nodeFlags?: readonly string[];
  readonly cores?: Cores;
  /** An IPC channel to the bridge process (for a probe loaded with `nodeFlags`). */
  readonly ipc?: boolean;
}

export interface Bridge extends Running {
  readonly process: ChildProcess;
}

/** The bridge exited before it answered /healthz: a config or flag this build does not take, or a crash. */
export class BridgeRefused extends Error {}

const STDERR_KEPT = 4096;
/** Enough of a refusal to name the key or flag: the config error's first lines. */
const REFUSAL_SHOWN = 240;

/**
 * The real CLI with a generated config. Its decision log goes to /dev/null as
 * it would to a log file: every decision is still formatted and written.
 */
export async function startBridge(lines: readonly string[], options: BridgeOptions = {}): Promise<Bridge> {
  const port = await closedPort();
  const config = join(mkdtempSync(join(tmpdir(), 'bridge-bench-')), 'bench.yaml');
  writeFileSync(config, [`listen: 127.0.0.1:${port}`, ...lines, ''].join('\n'));
  const [command, args] = onCores(options.cores ?? SERVER_CORE, process.execPath, [
    ...(options.nodeFlags ?? []),
    options.cli ?? CLI,
    'serve',
    '--config',
    config,
    ...(options.serveArgs ?? []),
  ]);
  const stdio: StdioOptions = ['ignore', 'ignore', 'pipe', ...(options.ipc ? ['ipc' as const] : [])];
  // In its own folder: the default statistics file (./data/stats.db) is then each bridge's own, not one
  // file the bench's bridges would lock for each other.
  const child = spawn(command, args, { stdio, cwd: dirname(config) });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_KEPT)));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new BridgeRefused(stderr.trim());
    if (
      await fetch(`${url}/healthz`).then(
        (res) => res.ok,
        () => false,
      )
    )
      return { url, pid: child.pid!, process: child, stop: stopper(child) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`the bridge did not come up within 10 s:\n${stderr}`);
}

/** `startBridge`, or the reason this build refused the config or flags (a missing feature is not a failed bench). */
export async function startBridgeIfSupported(
  lines: readonly string[],
  options: BridgeOptions = {},
): Promise<Bridge | { refused: string }> {
  try {
    return await startBridge(lines, options);
  } catch (error) {
    if (error instanceof BridgeRefused) return { refused: error.message.replace(/\s+/g, ' ').slice(0, REFUSAL_SHOWN) };
    throw error;
  }
}
