/**
 * `npx tsx bench/allocations.ts [requests] [windows] [sampled]`: bytes allocated per cached decision,
 * and the CPU it takes, in the server process, beside raw node:http answering the same bytes. Each
 * server runs from the sources (tsx) with bench/allocationProbe.ts loaded and a young generation large
 * enough that `requests` hits fit between two collections: the heap in use after a full collection,
 * then after the window, over the window's hits, is what one hit allocates (a window in which a
 * collection ran is dropped). CPU is the server's own (process.cpuUsage) over the same windows.
 * Servers take turns window by window, in an order that turns each round; the figures are medians.
 * Then a sampling heap profile of `sampled` more hits says who allocated it, by component.
 * BASE_ROOT: checkouts of other commits (comma-separated, each with its node_modules linked), measured
 * beside this one with metrics off; SAMPLE_BASES=1 profiles them too.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type Components, byFile } from './allocationComponents.js';
import { loader, type Loader } from './allocationLoad.js';
import { onCores, pinThisProcessToLoadCore, SERVER_CORE } from './cores.js';
import { PLAIN_SERVER, startBridge, startCountingMiddleware } from './processes.js';
import { median } from './rounds.js';
import { backendLines, BRIDGE_BASE, VIEWER } from './settings.js';
import { closedPort } from '../test/support/replayServer.js';

const REQUESTS = Number(process.argv[2] ?? 2000);
const WINDOWS = Number(process.argv[3] ?? 9);
const SAMPLED = Number(process.argv[4] ?? 20_000);
const CONNECTIONS = 16;
const WARM_UP = Number(process.env.WARM_UP ?? 20_000);
const ROOT = join(import.meta.dirname, '..');
const PROBE = join(import.meta.dirname, 'allocationProbe.ts');
/** 64 MiB semi-spaces: a window's hits fit in the young generation, so none collects in the middle of one. */
const NODE_FLAGS = [
  '--expose-gc',
  '--min-semi-space-size=64',
  '--max-semi-space-size=64',
  // By its own address: a bridge runs in a folder of its own, where no node_modules is found.
  '--import',
  import.meta.resolve('tsx'),
];

const METRICS_ON = 'bridge, metrics on';

interface Measured {
  readonly name: string;
  readonly child: ChildProcess;
  readonly load: Loader;
  readonly bytes: number[];
  readonly cpuMicros: number[];
  dropped: number;
}

/** One question to a server's probe, and its answer. */
function ask<T>(child: ChildProcess, message: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    child.send(message);
  });
}

async function measured(name: string, child: ChildProcess, port: number, path: string): Promise<Measured> {
  const load = await loader(port, path, VIEWER, CONNECTIONS);
  // Past the first miss, and long enough for V8 to optimize what a hit runs.
  await load.send(WARM_UP);
  return { name, child, load, bytes: [], cpuMicros: [], dropped: 0 };
}

async function raw(): Promise<Measured> {
  const port = await closedPort();
  const source = `${PLAIN_SERVER}.listen(${port}, '127.0.0.1', () => process.send('up'));`;
  const [command, args] = onCores(SERVER_CORE, process.execPath, [...NODE_FLAGS, '--import', PROBE, '-e', source]);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], cwd: ROOT });
  // A run that fails halfway must not leave it behind (the bridges are stopped by processes.ts).
  process.on('exit', () => child.kill('SIGKILL'));
  await new Promise((resolve) => child.once('message', resolve));
  return measured('raw node:http', child, port, '/');
}

async function bridge(name: string, lines: readonly string[], root = ROOT): Promise<Measured> {
  const started = await startBridge(lines, {
    cli: join(root, 'src', 'cli.ts'),
    nodeFlags: [...NODE_FLAGS, '--import', PROBE],
    ipc: true,
  });
  return measured(name, started.process, Number(new URL(started.url).port), '/auth?token=cached-token');
}

interface Mark {
  readonly used: number;
  readonly collected: number;
  readonly after: number;
}

async function window(server: Measured): Promise<void> {
  await server.load.open();
  const before = await ask<Mark>(server.child, { kind: 'mark' });
  const cpu = await ask<{ micros: number }>(server.child, { kind: 'cpu' });
  await server.load.send(REQUESTS);
  const cpuAfter = await ask<{ micros: number }>(server.child, { kind: 'cpu' });
  const after = await ask<Mark>(server.child, { kind: 'mark' });
  server.cpuMicros.push((cpuAfter.micros - cpu.micros) / REQUESTS);
  if (after.collected > 0) server.dropped++;
  else server.bytes.push((after.used - before.after) / REQUESTS);
}

/** Per hit: the components by the nearest project frame, and with the node internal under it named. */
async function sampled(server: Measured): Promise<{ readonly components: Components; readonly detail: Components }> {
  await server.load.open();
  await ask(server.child, { kind: 'sample', intervalBytes: 256 });
  await server.load.send(SAMPLED);
  const profile = await ask<{ components: Components; detail: Components }>(server.child, { kind: 'sampled' });
  const perHit = (components: Components) => components.map(([name, bytes]) => [name, bytes / SAMPLED] as const);
  return { components: perHit(profile.components), detail: perHit(profile.detail) };
}

pinThisProcessToLoadCore();
const middleware = await startCountingMiddleware();
const backend = backendLines(middleware.url);
const servers = [
  await raw(),
  await bridge('bridge, metrics off', [...BRIDGE_BASE, ...backend]),
  await bridge(METRICS_ON, [
    'log: {level: info, format: json}',
    `admin: {listen: "127.0.0.1:${await closedPort()}"}`,
    ...backend,
  ]),
];
const bases = (process.env.BASE_ROOT ?? '').split(',').filter((root) => root !== '');
for (const root of bases) servers.push(await bridge(`${root}, metrics off`, [...BRIDGE_BASE, ...backend], root));
for (let round = 0; round < WINDOWS; round++)
  for (let i = 0; i < servers.length; i++) await window(servers[(i + round) % servers.length]!);

const lines = [`medians of ${WINDOWS} windows of ${REQUESTS} cached hits, ${CONNECTIONS} connections:`];
for (const { name, bytes, cpuMicros, dropped } of servers)
  lines.push(
    `  ${name.padEnd(36)} ${median(bytes).toFixed(0).padStart(7)} B/hit  ${median(cpuMicros).toFixed(1).padStart(6)} µs CPU/hit` +
      (dropped > 0 ? `  (${dropped} window(s) with a collection dropped)` : ''),
  );
// Metrics on is profiled only as the windows' figure: its difference is the metrics' own cells.
for (const server of servers
  .slice(0, process.env.SAMPLE_BASES ? servers.length : 3)
  .filter(({ name }) => name !== METRICS_ON)) {
  const { components, detail } = await sampled(server);
  const total = components.reduce((sum, [, bytes]) => sum + bytes, 0);
  lines.push('', `${server.name}: sampled, ${total.toFixed(0)} B/hit over ${SAMPLED} hits; by file:`);
  for (const [file, bytes] of byFile(components).slice(0, 12)) lines.push(`  ${bytes.toFixed(0).padStart(6)}  ${file}`);
  lines.push('  by function (the nearest of the project on the stack, else the node internal):');
  for (const [component, bytes] of components.slice(0, 25))
    lines.push(`  ${bytes.toFixed(0).padStart(6)}  ${component}`);
  lines.push("  what node and V8 allocated under the project's functions:");
  for (const [component, bytes] of detail.filter(([name]) => name.includes(' > ')).slice(0, 20))
    lines.push(`  ${bytes.toFixed(0).padStart(6)}  ${component}`);
}
for (const server of servers) {
  server.load.close();
  server.child.kill('SIGTERM');
}
await middleware.stop();
process.stdout.write(`${lines.join('\n')}\n`);
