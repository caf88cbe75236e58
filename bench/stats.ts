/**
 * Issue 12's figure: cached-decision throughput with the statistics store on
 * (SQLite, the default) against `stats: {store: off}` (live sessions in memory
 * only), side by side in one run, alternating so that drift on a shared
 * machine hits both alike. Every check carries one of 10,000 session ids, so
 * sessions are created, refreshed and written as in production.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { describeCores, SERVER_CORE } from './cores.js';
import { cpuSeconds, startBridge, startCountingMiddleware, type Running } from './processes.js';

const SESSIONS = 10_000;
const ROUNDS = 2;

interface Measured {
  readonly rps: number;
  /** The bridge's CPU time per check, in µs. */
  readonly cpuMicros: number;
}

async function cachedRps(server: Running, seconds: number, connections: number): Promise<Measured> {
  let n = 0;
  const options = {
    url: server.url,
    connections,
    requests: [
      {
        method: 'GET' as const,
        path: '/auth?token=cached-token',
        setupRequest: (req: object) => ({
          ...req,
          headers: {
            'x-real-ip': '203.0.113.7',
            'x-real-path': '/tv/a001/index.m3u8',
            'x-session-id': String(n++ % SESSIONS),
          },
        }),
      },
    ],
  };
  await autocannon({ ...options, duration: 1 });
  const before = cpuSeconds(server.pid) ?? Number.NaN;
  const result = await autocannon({ ...options, duration: seconds });
  const after = cpuSeconds(server.pid) ?? Number.NaN;
  if (result.non2xx + result.errors > 0)
    throw new Error(`stats bench: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, cpuMicros: ((after - before) * 1e6) / result.requests.total };
}

export async function statsOnOff(seconds: number, connections: number, base: readonly string[]): Promise<string[]> {
  const middleware = await startCountingMiddleware();
  const backend = ['backends:', `  mw: {type: http, url: "${middleware.url}/check"}`];
  const path = join(mkdtempSync(join(tmpdir(), 'bridge-bench-stats-')), 'stats.db');
  const on = await startBridge([...base, ...backend, `stats: {store: sqlite, path: "${path}"}`]);
  const off = await startBridge([...base, ...backend, 'stats: {store: off}']);
  const rps = { on: [] as Measured[], off: [] as Measured[] };
  for (let round = 0; round < ROUNDS; round++) {
    rps.on.push(await cachedRps(on, seconds, connections));
    rps.off.push(await cachedRps(off, seconds, connections));
  }
  await Promise.all([middleware.stop(), on.stop(), off.stop()]);
  const mean = (values: readonly Measured[], figure: (m: Measured) => number) =>
    values.reduce((sum, m) => sum + figure(m), 0) / values.length;
  const round = (values: readonly Measured[]) => values.map((m) => Math.round(m.rps)).join(', ');
  const cpu = (values: readonly Measured[]) => mean(values, (m) => m.cpuMicros).toFixed(1);
  return [
    `6. statistics, cached decisions over ${SESSIONS.toLocaleString('en')} session ids, ${ROUNDS} alternating rounds of ${seconds} s, bridge on ${describeCores(SERVER_CORE)}:`,
    `   stats on (SQLite): ${round(rps.on)} req/s, ${cpu(rps.on)} µs CPU per check; stats off: ${round(rps.off)} req/s, ${cpu(rps.off)} µs`,
    `   → on/off ${(mean(rps.on, (m) => m.rps) / mean(rps.off, (m) => m.rps)).toFixed(2)}x (target >= 0.9)`,
  ];
}
