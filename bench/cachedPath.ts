/**
 * `npx tsx bench/cachedPath.ts [rounds]` (after `npm run build`): the cached hot path alone, against
 * raw node:http, and with metrics on (an admin listener) beside metrics off, in interleaved rounds
 * whose order turns each round, so neither a drift of the shared machine's load nor the row before
 * weighs on one side alone (BASE_CLI adds another build's bridge, for a before/after). Each server on the server core, the load generator on the other, as in
 * `npm run bench`; the whole bench covers far more, this is the quick before/after for one change.
 */
import { closedPort } from '../test/support/replayServer.js';
import { SERVER_CORE } from './cores.js';
import { startBridge, startCountingMiddleware, startPlainServer, type Running } from './processes.js';
import { measure, type Row } from './report.js';
import { median } from './rounds.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, VIEWER } from './settings.js';

const ROUNDS = Number(process.argv[2] ?? 4);
const CACHED = { path: '/auth?token=cached-token', connections: CONNECTIONS, headers: VIEWER };

const middleware = await startCountingMiddleware();
const servers: Record<string, { readonly server: Running; readonly path: string; readonly rows: Row[] }> = {
  raw: { server: await startPlainServer(), path: '/', rows: [] },
  off: { server: await startBridge([...BRIDGE_BASE, ...backendLines(middleware.url)]), path: CACHED.path, rows: [] },
  on: {
    server: await startBridge([
      'log: {level: info, format: json}',
      `admin: {listen: "127.0.0.1:${await closedPort()}"}`,
      ...backendLines(middleware.url),
    ]),
    path: CACHED.path,
    rows: [],
  },
};
// BASE_CLI: another build (the branch point, say) beside this one, metrics off, for a before/after.
if (process.env.BASE_CLI)
  servers.base = {
    server: await startBridge([...BRIDGE_BASE, ...backendLines(middleware.url)], { cli: process.env.BASE_CLI }),
    path: CACHED.path,
    rows: [],
  };
const names = Object.keys(servers);
for (let round = 0; round < ROUNDS; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length]!);
  for (const name of order) {
    const { server, path, rows } = servers[name]!;
    const row = await measure(`${name} (round ${round + 1})`, server, { ...CACHED, path }, SERVER_CORE);
    process.stdout.write(`    CPU ${row.cpuMicros?.toFixed(1) ?? '?'} µs/req\n`);
    rows.push(row);
  }
}
await Promise.all([middleware.stop(), ...Object.values(servers).map(({ server }) => server.stop())]);

const rps = (name: string) => median(servers[name]!.rows.map((r) => r.rps));
const cpu = (name: string) => median(servers[name]!.rows.map((r) => r.cpuMicros ?? Number.NaN));
const p99 = (name: string) => median(servers[name]!.rows.map((r) => r.p99));
/** The median of each round's own ratio: rounds taken minutes apart on a busy machine drift apart, a round's two rows less so. */
const pairedCpu = (name: string, other: string) =>
  median(
    servers[name]!.rows.map((r, i) => (r.cpuMicros ?? Number.NaN) / (servers[other]!.rows[i]!.cpuMicros ?? Number.NaN)),
  );
process.stdout.write(
  `medians of ${ROUNDS} rounds, ${CONNECTIONS} connections, one core each:\n` +
    `  cached / raw node:http: ${(rps('off') / rps('raw')).toFixed(2)}x throughput (target >= 0.85x), ` +
    `CPU ${cpu('off').toFixed(1)} vs ${cpu('raw').toFixed(1)} µs = ${(cpu('off') / cpu('raw')).toFixed(2)}x ` +
    `(round by round ${pairedCpu('off', 'raw').toFixed(2)}x; target <= 1.25x), ` +
    `p99 ${p99('off')} vs ${p99('raw')} ms\n` +
    `  metrics on / off: ${(rps('on') / rps('off')).toFixed(3)}x throughput (target >= 0.97x), ` +
    `CPU ${cpu('on').toFixed(1)} vs ${cpu('off').toFixed(1)} µs\n` +
    (servers.base
      ? `  this build / BASE_CLI's, metrics off: ${(rps('off') / rps('base')).toFixed(3)}x throughput, ` +
        `CPU ${cpu('off').toFixed(1)} vs ${cpu('base').toFixed(1)} µs (round by round: ${pairedCpu('off', 'base').toFixed(3)}x)\n`
      : ''),
);
