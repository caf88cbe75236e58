/**
 * `npx tsx bench/cachedProfile.ts [rounds] [seconds]`: where the CPU of a cached hit goes, beside raw
 * node:http answering the same bytes. Both run from the sources (tsx) on the server core with
 * bench/cachedProfileProbe.ts loaded; autocannon loads them from the other core as in
 * bench/cachedPath.ts, taking turns round by round, while V8's CPU profiler samples the server. The
 * table is µs per request by component (cachedProfileComponents.ts), summed over the rounds, with
 * the process's own CPU per request beside it (the profiler's sampling costs some of that).
 * METRICS=on profiles the bridge with metrics on (an admin listener). BASE_ROOT: another checkout
 * (its node_modules linked), profiled beside this one as `base`, for a before/after.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Timed } from './cachedProfileComponents.js';
import { onCores, SERVER_CORE } from './cores.js';
import { generateLoad } from './loadgen.js';
import { PLAIN_SERVER, startBridge, startCountingMiddleware } from './processes.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, VIEWER } from './settings.js';
import { closedPort } from '../test/support/replayServer.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const SECONDS = Number(process.argv[3] ?? 4);
const WARM_UP_SECONDS = 3;
const LEAVES_SHOWN = Number(process.env.LEAVES_SHOWN ?? 30);
/** CONTROL_SPIN_US: a third server, raw node:http busy for that long per request, as a control of what a slower server costs node core. */
const SPIN_MICROS = Number(process.env.CONTROL_SPIN_US ?? 0);
const ROOT = join(import.meta.dirname, '..');
const NODE_FLAGS = [
  // By its own address: a bridge runs in a folder of its own, where no node_modules is found.
  '--import',
  import.meta.resolve('tsx'),
  '--import',
  join(import.meta.dirname, 'cachedProfileProbe.ts'),
];

interface Profiled {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
  requests: number;
  cpuMicros: number;
  readonly components: Map<string, number>;
  readonly leaves: Map<string, number>;
}

function ask<T>(child: ChildProcess, kind: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    child.send({ kind });
  });
}

const profiled = (name: string, child: ChildProcess, url: string): Profiled => ({
  name,
  child,
  url,
  requests: 0,
  cpuMicros: 0,
  components: new Map(),
  leaves: new Map(),
});

async function raw(spinMicros = 0): Promise<Profiled> {
  const port = await closedPort();
  const spin = `const until = performance.now() + ${spinMicros / 1000}; while (performance.now() < until);`;
  const server = spinMicros > 0 ? PLAIN_SERVER.replace('(req, res) => {', `(req, res) => { ${spin}`) : PLAIN_SERVER;
  const source = `${server}.listen(${port}, '127.0.0.1', () => process.send('up'));`;
  const [command, args] = onCores(SERVER_CORE, process.execPath, [...NODE_FLAGS, '-e', source]);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], cwd: ROOT });
  process.on('exit', () => child.kill('SIGKILL'));
  await new Promise((resolve) => child.once('message', resolve));
  const name = spinMicros > 0 ? `raw + ${spinMicros} µs spin` : 'raw node:http';
  return profiled(name, child, `http://127.0.0.1:${port}/`);
}

const add = (into: Map<string, number>, timed: Timed) => {
  for (const [name, micros] of timed) into.set(name, (into.get(name) ?? 0) + micros);
};

async function round(server: Profiled): Promise<void> {
  const url = new URL(server.url);
  const spec = { url: url.origin, path: url.pathname + url.search, connections: CONNECTIONS, headers: VIEWER };
  await generateLoad({ ...spec, seconds: 1 });
  await ask(server.child, 'start');
  const load = await generateLoad({ ...spec, seconds: SECONDS });
  const { cpuMicros, components } = await ask<{
    cpuMicros: number;
    components: { components: Timed; leaves: Timed };
  }>(server.child, 'stop');
  server.requests += load.total;
  server.cpuMicros += cpuMicros;
  add(server.components, components.components);
  add(server.leaves, components.leaves);
  process.stdout.write(
    `  ${server.name}: ${Math.round(load.rps)} req/s, ${(cpuMicros / load.total).toFixed(1)} µs CPU/req\n`,
  );
}

const middleware = await startCountingMiddleware();
// METRICS=on: the bridge with an admin listener, so that every hit is counted for /metrics too.
const metricsOn = process.env.METRICS === 'on';
const config = metricsOn
  ? ['log: {level: info, format: json}', `admin: {listen: "127.0.0.1:${await closedPort()}"}`]
  : BRIDGE_BASE;
const bridges = await Promise.all(
  [ROOT, ...(process.env.BASE_ROOT === undefined ? [] : [process.env.BASE_ROOT])].map((root) =>
    startBridge([...config, ...backendLines(middleware.url)], {
      cli: join(root, 'src', 'cli.ts'),
      nodeFlags: NODE_FLAGS,
      ipc: true,
    }),
  ),
);
const servers = [
  await raw(),
  ...bridges.map((bridge, i) =>
    profiled(
      `${i === 0 ? 'bridge' : 'base'}, metrics ${metricsOn ? 'on' : 'off'}`,
      bridge.process,
      `${bridge.url}/auth?token=cached-token`,
    ),
  ),
  ...(SPIN_MICROS > 0 ? [await raw(SPIN_MICROS)] : []),
];
for (const server of servers) {
  const url = new URL(server.url);
  await generateLoad({
    url: url.origin,
    path: url.pathname + url.search,
    connections: CONNECTIONS,
    headers: VIEWER,
    seconds: WARM_UP_SECONDS,
  });
}
for (let r = 0; r < ROUNDS; r++)
  for (let i = 0; i < servers.length; i++) await round(servers[(i + r) % servers.length]!);

const perRequest = (server: Profiled, component: string) => (server.components.get(component) ?? 0) / server.requests;
const [plain, ours] = servers as [Profiled, Profiled];
const names = [...new Set(servers.flatMap((server) => [...server.components.keys()]))].sort(
  (a, b) => perRequest(ours, b) - perRequest(ours, a),
);
const total = (server: Profiled) => [...server.components.values()].reduce((sum, t) => sum + t, 0) / server.requests;
const cell = (micros: number) => micros.toFixed(2).padStart(12);
const row = (name: string, figures: readonly number[]) => `  ${name.padEnd(48)}${figures.map(cell).join('')}`;
const leaves = (server: Profiled, shown: number) =>
  [...server.leaves]
    .sort(([, a], [, b]) => b - a)
    .slice(0, shown)
    .map(([leaf, micros]) => `  ${cell(micros / server.requests)}  ${leaf}`);
const lines = [
  `${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections; µs per request in the profile (idle left out):`,
  `  ${'component'.padEnd(48)}${[...servers.map(({ name }) => name.slice(0, 11)), 'bridge-raw'].map((h) => h.padStart(12)).join('')}`,
  ...names.map((name) =>
    row(name, [...servers.map((s) => perRequest(s, name)), perRequest(ours, name) - perRequest(plain, name)]),
  ),
  row('total in the profile', [...servers.map(total), total(ours) - total(plain)]),
  row(
    'process CPU (cpuUsage, every thread)',
    servers.map((s) => s.cpuMicros / s.requests),
  ),
  ...servers.flatMap((server, i) => [
    '',
    `${server.name}, leaf functions (µs per request):`,
    ...leaves(server, i === 1 ? LEAVES_SHOWN : LEAVES_SHOWN / 2),
  ]),
];
for (const server of servers)
  if (!bridges.some((bridge) => bridge.process === server.child)) server.child.kill('SIGTERM');
await Promise.all([...bridges.map((bridge) => bridge.stop()), middleware.stop()]);
process.stdout.write(`${lines.join('\n')}\n`);
