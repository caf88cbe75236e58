/**
 * `npx tsx bench/instructions.ts [requests]` (after `npm run build`): machine instructions per
 * cached decision, counted by valgrind's callgrind in the server process over a fixed number of
 * requests. Unlike wall or CPU time, an instruction count does not move with the shared
 * machine's load. It does move with V8's tiers: under valgrind a function may still run (or run
 * again, after a deoptimization) unoptimized in the window, and one build counted 134.8k and then
 * 227.2k per request on the main thread. `NODE_FLAGS=--no-concurrent-recompilation` makes the
 * optimizing compiler run on the main thread when a function is hot, so that it happens the same
 * way every run; what it spends there is counted apart and left out of the figure. Servers:
 * raw node:http (the floor), the bridge with metrics off (`admin.listen: off`) and on, and (`near`) the
 * Redis store's near-cache (a redis-server the script starts); and per miss (every request a token of its
 * own): `miss`, the bridge with metrics off, and `proxy`, the minimal proxy of bench/processes.ts. Only the
 * load window is counted (callgrind_control switches collection on and off around it). BRIDGE_CLI: another
 * build of the CLI (a copy of the branch point, say) for a before/after.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { CLI } from '../test/support/cli.js';
import { startRedis } from '../test/support/redisServer.js';
import { closedPort } from '../test/support/replayServer.js';
import { minimalProxySource, PLAIN_SERVER, startCountingMiddleware } from './processes.js';

const REQUESTS = Number(process.argv[2] ?? 3000);
const WARM_UP = Number(process.env.WARM_UP ?? 3000);
const CONNECTIONS = 16;
/** `--perf-basic-prof` names the JIT code in /tmp/perf-<pid>.map, for reading callgrind's addresses as functions. */
const NODE_FLAGS = (process.env.NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
const VIEWER = { 'x-real-ip': '203.0.113.7', 'x-real-path': '/tv/a001/index.m3u8', 'x-session-id': '1' };
const folder = mkdtempSync(join(tmpdir(), 'bridge-instructions-'));

interface Counted {
  readonly name: string;
  /** Every thread's: V8 compiles and marks on threads of its own. */
  readonly perRequest: number;
  /** The main thread's alone: what the JavaScript of a request costs, without the compiler's noise. */
  readonly mainPerRequest: number;
  /** Of the main thread's, what the optimizing compiler took there (`--no-concurrent-recompilation`). */
  readonly compilePerRequest: number;
}

/** Instructions under V8's optimizing compiler called on the main thread, from callgrind's inclusive counts. */
function compiling(file: string): number {
  const annotated = spawnSync('callgrind_annotate', ['--inclusive=yes', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const line = annotated.stdout.split('\n').find((text) => text.includes('Runtime_CompileOptimized'));
  return line === undefined ? 0 : Number(line.trim().split(' ')[0]!.replace(/,/g, ''));
}

async function up(url: string): Promise<void> {
  for (let attempt = 0; attempt < 3000; attempt++) {
    if (
      await fetch(`${url}/healthz`).then(
        (res) => res.status > 0,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not come up`);
}

/** Misses: every request a token of its own (`${path}<n>`), never asked before. */
let missNumber = 0;

/** `counted`: every answer must be a 200; during the warm-up the first miss may outlast its budget under valgrind. */
async function load(url: string, path: string, amount: number, counted = true): Promise<void> {
  const result = await autocannon({
    url: `${url}${path}`,
    connections: CONNECTIONS,
    headers: VIEWER,
    amount,
    timeout: 60,
    ...(path.endsWith('=')
      ? { requests: [{ setupRequest: (request) => ({ ...request, path: `${path}${missNumber++}` }) }] }
      : {}),
  });
  if (counted && result.non2xx + result.errors + result.timeouts > 0)
    throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
}

/** Instructions in callgrind's files of one run, every thread's or (`-01`, the first thread) the main thread's. */
function instructions(prefix: string, mainOnly: boolean): number {
  let total = 0;
  for (const file of readdirSync(folder).filter((name) => name.startsWith(prefix))) {
    if (mainOnly && !file.endsWith('-01')) continue;
    const match = /^totals: (\d+)/m.exec(readFileSync(join(folder, file), 'utf8'));
    if (match) total += Number(match[1]);
  }
  return total;
}

async function counted(name: string, args: (port: number) => string[], path: string): Promise<Counted> {
  const port = await closedPort();
  const out = join(folder, `${name}.out`);
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--separate-threads=yes',
      `--callgrind-out-file=${out}.%p`,
      process.execPath,
      ...NODE_FLAGS,
      ...args(port),
    ],
    { stdio: ['ignore', 'ignore', 'ignore'], cwd: folder },
  );
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await up(url);
    await load(url, path, WARM_UP, false);
    spawnSync('callgrind_control', ['-i', 'on', String(child.pid)]);
    await load(url, path, REQUESTS);
    spawnSync('callgrind_control', ['-i', 'off', String(child.pid)]);
  } finally {
    // A failed run must not leave a server under valgrind behind.
    child.kill('SIGTERM');
    await exited;
  }
  const prefix = `${name}.out.${child.pid}`;
  return {
    name,
    perRequest: instructions(prefix, false) / REQUESTS,
    mainPerRequest: instructions(prefix, true) / REQUESTS,
    compilePerRequest: compiling(join(folder, `${prefix}-01`)) / REQUESTS,
  };
}

function bridgeArgs(name: string, lines: readonly string[]): (port: number) => string[] {
  return (port) => {
    const config = join(folder, `${name}.yaml`);
    writeFileSync(config, [`listen: 127.0.0.1:${port}`, ...lines, ''].join('\n'));
    return [process.env.BRIDGE_CLI ?? CLI, 'serve', '--config', config];
  };
}

const middleware = await startCountingMiddleware();
const backend = ['backends:', `  mw: {type: http, url: "${middleware.url}/check"}`];
const adminPort = await closedPort();
const PLAIN = `${PLAIN_SERVER}.listen(Number(process.argv[1]), '127.0.0.1');`;
const servers = (process.env.SERVERS ?? 'raw,off,on').split(',');
const results: Counted[] = [];
for (const server of servers) {
  if (server === 'raw') results.push(await counted('raw', (port) => ['-e', PLAIN, String(port)], '/'));
  if (server === 'off')
    results.push(
      await counted(
        'off',
        bridgeArgs('off', ['log: {level: info, format: json}', 'admin: {listen: "off"}', ...backend]),
        '/auth?token=cached-token',
      ),
    );
  if (server === 'on')
    results.push(
      await counted(
        'on',
        bridgeArgs('on', ['log: {level: info, format: json}', `admin: {listen: "127.0.0.1:${adminPort}"}`, ...backend]),
        '/auth?token=cached-token',
      ),
    );
  if (server === 'proxy')
    results.push(
      await counted(
        'proxy',
        (port) => [
          '-e',
          `${minimalProxySource(middleware.url)}.listen(Number(process.argv[1]), '127.0.0.1');`,
          String(port),
        ],
        '/auth?token=',
      ),
    );
  if (server === 'miss')
    results.push(
      await counted(
        'miss',
        // Budgets valgrind's slowness cannot outlast: a miss answered 403 for time would be counted as one.
        bridgeArgs('miss', [
          'log: {level: info, format: json}',
          'admin: {listen: "off"}',
          'backends:',
          `  mw: {type: http, url: "${middleware.url}/check", timeoutMs: 60000}`,
          'routes:',
          '  default: {backends: [mw], timeoutMs: 60000}',
        ]),
        '/auth?token=',
      ),
    );
  if (server === 'near') {
    const redis = await startRedis();
    try {
      results.push(
        await counted(
          'near',
          bridgeArgs('near', [
            'log: {level: info, format: json}',
            'admin: {listen: "off"}',
            `cache: {store: redis, redisUrl: "${redis.url}", localTtl: 5}`,
            ...backend,
          ]),
          '/auth?token=cached-token',
        ),
      );
    } finally {
      await redis.stop();
    }
  }
}
await middleware.stop();
for (const { name, perRequest, mainPerRequest, compilePerRequest } of results)
  process.stdout.write(
    `${name}: ${Math.round(mainPerRequest - compilePerRequest)} instructions per request on the main thread ` +
      `(${Math.round(compilePerRequest)} more compiling there), ${Math.round(perRequest)} in all (${REQUESTS} requests)\n`,
  );
