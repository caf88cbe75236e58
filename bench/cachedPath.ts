/**
 * `npx tsx bench/cachedPath.ts [rounds]` (after `npm run build`): the cached hot path alone, against raw
 * node:http, in interleaved rounds so a drift of the shared machine's load weighs on both alike. The
 * whole `npm run bench` covers far more; this is the quick before/after for one change to the hit path.
 */
import autocannon from 'autocannon';
import { cpuSeconds, startBridge, startCountingMiddleware, startPlainServer, type Running } from './processes.js';
import { median } from './rounds.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 32;
const VIEWER = { 'x-real-ip': '203.0.113.7', 'x-real-path': '/tv/a001/index.m3u8', 'x-session-id': '1' };

interface Round {
  readonly rps: number;
  readonly cpuMicros: number;
}

async function round(server: Running, path: string): Promise<Round> {
  const options = {
    url: server.url,
    connections: CONNECTIONS,
    headers: VIEWER,
    requests: [{ method: 'GET' as const, path }],
  };
  await autocannon({ ...options, duration: 1 });
  const before = cpuSeconds(server.pid) ?? 0;
  const result = await autocannon({ ...options, duration: SECONDS });
  const after = cpuSeconds(server.pid) ?? 0;
  if (result.non2xx + result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, cpuMicros: ((after - before) * 1e6) / result.requests.total };
}

const plain = await startPlainServer();
const middleware = await startCountingMiddleware();
const bridge = await startBridge([
  'log: {level: info, format: json}',
  'admin: {listen: "off"}',
  'backends:',
  `  mw: {type: http, url: "${middleware.url}/check"}`,
]);
const raw: Round[] = [];
const cached: Round[] = [];
for (let i = 0; i < ROUNDS; i++) {
  raw.push(await round(plain, '/'));
  cached.push(await round(bridge, '/auth?token=cached-token'));
  process.stdout.write(
    `round ${i + 1}: raw ${Math.round(raw[i]!.rps)} req/s ${raw[i]!.cpuMicros.toFixed(1)} µs, ` +
      `cached ${Math.round(cached[i]!.rps)} req/s ${cached[i]!.cpuMicros.toFixed(1)} µs\n`,
  );
}
await Promise.all([plain.stop(), middleware.stop(), bridge.stop()]);
const ratios = raw.map((r, i) => cached[i]!.rps / r.rps);
const cpuRatios = raw.map((r, i) => cached[i]!.cpuMicros / r.cpuMicros);
process.stdout.write(
  `cached / raw node:http (median of ${ROUNDS} rounds, ${CONNECTIONS} connections): ` +
    `${median(ratios).toFixed(2)}x throughput (target >= 0.85x), ` +
    `CPU ${median(cached.map((r) => r.cpuMicros)).toFixed(1)} vs ${median(raw.map((r) => r.cpuMicros)).toFixed(1)} µs ` +
    `per request = ${median(cpuRatios).toFixed(2)}x (target <= 1.25x)\n`,
);
