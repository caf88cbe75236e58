/**
 * `npm run bench`: throughput and latency of the real bridge process next to
 * a bare node:http server, and the latency the bridge adds in front of a
 * middleware. autocannon measures percentiles in whole milliseconds; the mean
 * (connections / throughput) is finer. Everything runs on loopback; load comes from autocannon in this
 * process, the servers are separate processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { CLI } from '../test/support/cli.js';
import { closedPort } from '../test/support/replayServer.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

/** A bare node:http server in its own process: the ceiling any Node HTTP service can reach here. */
function startPlainServer(headers: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const source = `require('node:http').createServer((req, res) => { res.writeHead(200, ${JSON.stringify(headers)}); res.end('ok'); })
    .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const child = spawn(process.execPath, ['-e', source]);
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve({ url: `http://127.0.0.1:${chunk.toString().trim()}`, child }));
    child.once('exit', (code) => reject(new Error(`plain server exited with ${code}`)));
  });
}

/**
 * The real CLI, its decision log going to /dev/null as it would to a log file:
 * every decision is still formatted and written.
 */
async function startBridge(config: string, port: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await fetch(`${url}/healthz`).then((res) => res.ok, () => false)) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error('the bridge did not come up within 10 s');
}

interface Row {
  readonly name: string;
  readonly rps: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

async function load(name: string, url: string, headers: Record<string, string>, connections: number): Promise<Row> {
  // A short warm-up so JIT and connection pools are settled before measuring.
  await autocannon({ url, connections, duration: 1, headers });
  const result = await autocannon({ url, connections, duration: SECONDS, headers });
  return {
    name: `${name} [${connections} conn]`,
    rps: Math.round(result.requests.average),
    // Little's law on a closed loop: finer than autocannon's whole-millisecond histogram.
    mean: (1000 * connections) / result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

function table(rows: readonly Row[]): string {
  const head = ['scenario', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'errors/non-2xx'];
  const lines = rows.map((r) => [r.name, String(r.rps), r.mean.toFixed(3), String(r.p50), String(r.p99), String(r.errors)]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [format(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}

async function main(): Promise<void> {
  const plain = await startPlainServer({ 'content-type': 'text/plain' });
  const middleware = await startPlainServer({ 'x-session-name': 'bench-user', 'x-authduration': '300' });
  const port = await closedPort();
  const dir = mkdtempSync(join(tmpdir(), 'bridge-bench-'));
  const config = join(dir, 'bench.yaml');
  writeFileSync(
    config,
    [
      `listen: 127.0.0.1:${port}`,
      'log: {level: info, format: json}',
      'backends:',
      `  mw: {type: http, url: "${middleware.url}/check"}`,
      'routes:',
      '  local: {backends: [], default: allow}',
      '  mw: {backends: [mw]}',
      '',
    ].join('\n'),
  );
  const bridge = await startBridge(config, port);

  const viewer = { 'x-real-ip': '203.0.113.7', 'x-real-path': '/tv/a001/index.m3u8', 'x-session-id': '1' };
  console.log(`iptv-auth-bridge benchmark: ${CONNECTIONS} connections, ${SECONDS} s per scenario, node ${process.version}\n`);
  const rows: Row[] = [];
  for (const [name, url, headers, connections] of [
    ['plain node:http server (200)', `${plain.url}/`, {}, CONNECTIONS],
    ['bridge, decided locally (no middleware)', `${bridge.url}/auth/local?token=abc`, viewer, CONNECTIONS],
    ['middleware called directly', `${middleware.url}/check?token=abc`, viewer, CONNECTIONS],
    ['bridge -> middleware (every request asks it)', `${bridge.url}/auth/mw?token=abc`, viewer, CONNECTIONS],
    ['middleware called directly', `${middleware.url}/check?token=abc`, viewer, 1],
    ['bridge -> middleware (every request asks it)', `${bridge.url}/auth/mw?token=abc`, viewer, 1],
  ] as const) {
    rows.push(await load(name, url, headers, connections));
    console.log(table(rows.slice(-1)).split('\n').at(-1));
  }
  const [raw, local, direct, through, directAlone, throughAlone] = rows as [Row, Row, Row, Row, Row, Row];
  const added = (a: Row, b: Row) => `mean +${(b.mean - a.mean).toFixed(3)} ms, p50 +${b.p50 - a.p50} ms, p99 +${b.p99 - a.p99} ms`;
  console.log(`\n${table(rows)}\n`);
  console.log(`local decisions vs plain node:http: ${(local.rps / raw.rps).toFixed(2)}x throughput`);
  console.log(`latency the bridge adds in front of a middleware, one connection: ${added(directAlone, throughAlone)}`);
  console.log(`the same under ${CONNECTIONS} connections (includes queueing at saturation): ${added(direct, through)}`);

  for (const child of [plain.child, middleware.child]) child.kill();
  bridge.child.kill('SIGTERM');
  await new Promise((resolve) => bridge.child.once('exit', resolve));
}

await main();
