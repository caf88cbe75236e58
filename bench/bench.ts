/**
 * `npm run bench`: the figures of issue 4, measured side by side in one run on
 * this machine. Every server is a separate process on loopback; load comes
 * from this process (autocannon, or undici for scripted workloads).
 * autocannon's percentiles are whole milliseconds; the mean (connections /
 * throughput, Little's law on a closed loop) is finer.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { drive, type HlsWorkload } from './hls.js';
import { metricsCost } from './metrics.js';
import { closedPort } from '../test/support/replayServer.js';
import { statsOnOff } from './stats.js';
import { cpuSeconds, startBridge, startCountingMiddleware, startPlainServer, type Running } from './processes.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 32;
const VIEWER = { 'x-real-ip': '203.0.113.7', 'x-real-path': '/tv/a001/index.m3u8', 'x-session-id': '1' };
/** Metrics off (no admin listener to read them) unless a scenario says otherwise. */
const BRIDGE_BASE = ['log: {level: info, format: json}', 'admin: {listen: "off"}'];

interface Load {
  readonly name: string;
  readonly rps: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  /** CPU time the server process spent per request, in µs (where /proc tells). */
  readonly cpuMicros?: number;
}

/** Every request with its own token when `unique` (cache misses), else the same one. */
async function load(name: string, server: Running, path: string, connections: number, unique = false): Promise<Load> {
  let n = 0;
  const options = {
    url: server.url,
    connections,
    headers: VIEWER,
    requests: [
      unique
        ? { method: 'GET' as const, path, setupRequest: (req: object) => ({ ...req, path: `${path}-${n++}` }) }
        : { method: 'GET' as const, path },
    ],
  };
  await autocannon({ ...options, duration: 1 });
  const cpuBefore = cpuSeconds(server.pid);
  const result = await autocannon({ ...options, duration: SECONDS });
  const cpuAfter = cpuSeconds(server.pid);
  return {
    name: `${name} [${connections} conn]`,
    rps: Math.round(result.requests.average),
    mean: (1000 * connections) / result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    cpuMicros:
      cpuBefore === undefined || cpuAfter === undefined
        ? undefined
        : ((cpuAfter - cpuBefore) * 1e6) / result.requests.total,
  };
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [format(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(format)].join('\n');
}

function loadTable(rows: readonly Load[]): string {
  return table(
    ['scenario', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'errors/non-2xx', 'server CPU µs/req'],
    rows.map((r) => [
      r.name,
      String(r.rps),
      r.mean.toFixed(3),
      String(r.p50),
      String(r.p99),
      String(r.errors),
      r.cpuMicros?.toFixed(1) ?? '-',
    ]),
  );
}

async function throughputAndLatency(): Promise<string[]> {
  const plain = await startPlainServer();
  const middleware = await startCountingMiddleware();
  const bridge = await startBridge([...BRIDGE_BASE, 'backends:', `  mw: {type: http, url: "${middleware.url}/check"}`]);
  const counted = await startBridge([
    'log: {level: info, format: json}',
    `admin: {listen: "127.0.0.1:${await closedPort()}"}`,
    'backends:',
    `  mw: {type: http, url: "${middleware.url}/check"}`,
  ]);
  const rows: Load[] = [];
  for (const [name, server, path, connections, unique] of [
    ['1. raw node:http server answering 200', plain, '/', CONNECTIONS, false],
    ['1. bridge, cached decision', bridge, '/auth?token=cached-token', CONNECTIONS, false],
    ['1. bridge, cached decision, metrics on', counted, '/auth?token=cached-token', CONNECTIONS, false],
    ['1. bridge, cached decision (again)', bridge, '/auth?token=cached-token', CONNECTIONS, false],
    ['1. bridge, cached decision, metrics on (again)', counted, '/auth?token=cached-token', CONNECTIONS, false],
    ['2. middleware called directly', middleware, '/check?token=miss', CONNECTIONS, true],
    ['2. bridge, cache miss → middleware', bridge, '/auth?token=miss', CONNECTIONS, true],
    ['2. middleware called directly', middleware, '/check?token=alone', 1, true],
    ['2. bridge, cache miss → middleware', bridge, '/auth?token=alone', 1, true],
  ] as const) {
    rows.push(await load(name, server, path, connections, unique));
    process.stdout.write(`  ${rows.at(-1)!.name}: ${rows.at(-1)!.rps} req/s\n`);
  }
  await Promise.all([plain.stop(), middleware.stop(), bridge.stop(), counted.stop()]);
  const [raw, cached, countedFirst, cachedAgain, countedAgain, direct, miss, directAlone, missAlone] = rows as [
    Load,
    Load,
    Load,
    Load,
    Load,
    Load,
    Load,
    Load,
    Load,
  ];
  // Two alternating runs of each, so a drift of the machine's load during the run weighs on both alike.
  const mean = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : (a + b) / 2;
  const off = { rps: (cached.rps + cachedAgain.rps) / 2, cpu: mean(cached.cpuMicros, cachedAgain.cpuMicros) };
  const on = {
    rps: (countedFirst.rps + countedAgain.rps) / 2,
    cpu: mean(countedFirst.cpuMicros, countedAgain.cpuMicros),
  };
  const added = (a: Load, b: Load) =>
    `mean +${(b.mean - a.mean).toFixed(3)} ms, p50 +${b.p50 - a.p50} ms, p99 +${b.p99 - a.p99} ms`;
  return [
    loadTable(rows),
    '',
    `1. cached decisions vs raw node:http: ${(cached.rps / raw.rps).toFixed(2)}x throughput (target >= 0.5x), p99 ${cached.p99} ms (target < 5 ms)`,
    ...(cached.cpuMicros === undefined || raw.cpuMicros === undefined
      ? []
      : [
          `   CPU per request: bridge ${cached.cpuMicros.toFixed(1)} µs per cached decision, raw node:http ${raw.cpuMicros.toFixed(1)} µs per answer`,
        ]),
    `   metrics on vs off (cached decisions, two runs each): ${(on.rps / off.rps).toFixed(3)}x throughput (target >= 0.97x)` +
      (on.cpu === undefined || off.cpu === undefined
        ? ''
        : `, CPU ${on.cpu.toFixed(1)} vs ${off.cpu.toFixed(1)} µs per decision (${(100 * (on.cpu / off.cpu - 1)).toFixed(1)}%)`),
    ...countingCost(off.cpu),
    `2. latency a cache miss adds in front of the middleware, 1 connection: ${added(directAlone, missAlone)}`,
    `   the same under ${CONNECTIONS} connections (includes queueing at saturation): ${added(direct, miss)}`,
  ];
}

/** The observer's own cost per check, against the CPU a whole cached decision took in this run. */
function countingCost(decisionMicros: number | undefined): string[] {
  const { cells, promClient } = metricsCost();
  const share =
    decisionMicros === undefined
      ? ''
      : ` = ${((100 * cells) / (decisionMicros * 1000)).toFixed(2)}% of a cached decision's CPU`;
  return [
    `   counting one cached check: ${cells.toFixed(0)} ns${share} (prom-client's labelled children per check: ${promClient.toFixed(0)} ns)`,
  ];
}

async function coalescing(): Promise<string[]> {
  const middleware = await startCountingMiddleware(300);
  const bridge = await startBridge([...BRIDGE_BASE, 'backends:', `  mw: {type: http, url: "${middleware.url}/check"}`]);
  const pool = new Pool(bridge.url, { connections: 1000 });
  const statuses = await Promise.all(
    Array.from({ length: 1000 }, async () => {
      const { statusCode, body } = await pool.request({
        method: 'GET',
        path: '/auth?token=zap-token',
        headers: VIEWER,
      });
      await body.dump();
      return statusCode;
    }),
  );
  const asked = await middleware.count();
  await pool.close();
  await Promise.all([middleware.stop(), bridge.stop()]);
  const allowed = statuses.filter((s) => s === 200).length;
  return [
    `3. 1,000 concurrent identical misses → ${asked} middleware request(s); ${allowed}/1000 viewers allowed (target: exactly 1)`,
  ];
}

async function hlsWorkload(): Promise<string[]> {
  const middleware = await startCountingMiddleware();
  const backend = ['backends:', `  mw: {type: http, url: "${middleware.url}/check"}`];
  const cached = await startBridge([...BRIDGE_BASE, ...backend]);
  const uncached = await startBridge([...BRIDGE_BASE, 'cache: {enabled: false}', ...backend]);
  const workload: HlsWorkload = { viewers: 10_000, channels: 200, checks: 400_000, zapProbability: 0.01 };
  const started = Date.now();
  const seen = await drive(cached.url, workload);
  const withCache = await middleware.count();
  const seconds = (Date.now() - started) / 1000;
  await middleware.reset();
  // Without a cache every check is a middleware request; a shorter run of the same sequence shows it.
  const shorter = { ...workload, checks: 50_000 };
  await drive(uncached.url, shorter);
  const withoutCache = await middleware.count();
  await Promise.all([middleware.stop(), cached.stop(), uncached.stop()]);
  const perThousand = (asked: number, checks: number) => (1000 * asked) / checks;
  const on = perThousand(withCache, workload.checks);
  const off = perThousand(withoutCache, shorter.checks);
  return [
    `4. HLS-like: ${workload.viewers} viewers, ${workload.channels} channels (Zipf), ${workload.checks} checks, ${workload.zapProbability * 100}% zap per check`,
    `   cache on:  ${on.toFixed(1)} middleware requests per 1,000 checks (${withCache} in all; ${Math.round(workload.checks / seconds)} checks/s; statuses ${JSON.stringify(Object.fromEntries(seen))})`,
    `   cache off: ${off.toFixed(1)} middleware requests per 1,000 checks (${withoutCache} for ${shorter.checks} checks)`,
    `   → ${(100 * (1 - on / off)).toFixed(1)}% fewer middleware requests (target >= 95%)`,
  ];
}

function memory(): string[] {
  const script = fileURLToPath(new URL('./memory.ts', import.meta.url));
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', script, '1000000'],
    { encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(`memory benchmark failed: ${child.stderr}`);
  const m = JSON.parse(child.stdout) as { entries: number; heapBytesPerEntry: number; heapMiB: number; rssMiB: number };
  return [
    `5. memory with ${m.entries.toLocaleString('en')} cached decisions: ${Math.round(m.heapBytesPerEntry)} bytes of heap per decision (target < 400), heap ${Math.round(m.heapMiB)} MiB, RSS ${Math.round(m.rssMiB)} MiB`,
  ];
}

console.log(
  `iptv-auth-bridge benchmark: node ${process.version}, ${SECONDS} s per load scenario, ${CONNECTIONS} connections unless noted\n`,
);
const report = [
  ...(await throughputAndLatency()),
  '',
  ...(await coalescing()),
  '',
  ...(await hlsWorkload()),
  '',
  ...memory(),
  '',
  ...(await statsOnOff(SECONDS, CONNECTIONS, BRIDGE_BASE)),
];
console.log(`\n${report.join('\n')}`);
