/**
 * Section 1: cached decisions beside raw node:http (the ceiling of any Node
 * HTTP service) and nginx `auth_request` + `proxy_cache` (the peer an operator
 * already has), each on one core, rounds interleaved and read as medians
 * (rounds.ts); and what metrics cost. The raw server's p99 is printed beside
 * the bridge's: both come from the same load generator, whose own pauses are
 * in every row's latency.
 */
import { closedPort } from '../test/support/replayServer.js';
import { SERVER_CORE } from './cores.js';
import { describeLoopDelay, LOOP_DELAY_PROBE, type LoopDelay, loopDelay } from './loopDelay.js';
import { metricsCost } from './metrics.js';
import { startNginxPeer } from './nginx.js';
import { startBridge, startCountingMiddleware, startPlainServer } from './processes.js';
import { fixed, measure, ratio, type Row, rowTable, type Section } from './report.js';
import { interleavedRounds, medianCpu, medianP99, medianRps } from './rounds.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, VIEWER } from './settings.js';

/** No round starts past this once three have run (see rounds.ts). */
const CAP_SECONDS = 100;
const CACHED = { path: '/auth?token=cached-token', connections: CONNECTIONS, headers: VIEWER };

export async function cachedDecisions(): Promise<Section> {
  const middleware = await startCountingMiddleware();
  const plain = await startPlainServer();
  const bridge = await startBridge([...BRIDGE_BASE, ...backendLines(middleware.url)], LOOP_DELAY_PROBE);
  // With the same probe as the bridge it is compared with: the two differ in the admin listener alone.
  const counted = await startBridge(
    [
      'log: {level: info, format: json}',
      `admin: {listen: "127.0.0.1:${await closedPort()}"}`,
      ...backendLines(middleware.url),
    ],
    LOOP_DELAY_PROBE,
  );
  const nginx = await startNginxPeer(middleware.url);
  const rows = { raw: [] as Row[], bridge: [] as Row[], nginx: [] as Row[], counted: [] as Row[] };
  const delays: LoopDelay[] = [];
  const measureBridge = async () => {
    await loopDelay(bridge);
    rows.bridge.push(await measure('1. bridge, cached decision', bridge, CACHED, SERVER_CORE));
    delays.push(await loopDelay(bridge));
  };
  const measureCounted = async () =>
    rows.counted.push(await measure('1. bridge, cached decision, metrics on', counted, CACHED, SERVER_CORE));
  const rounds = await interleavedRounds(CAP_SECONDS, async (round) => {
    // Metrics off and on take turns after raw node:http and after nginx: neither always follows the same row.
    const [first, second] = round % 2 === 0 ? [measureBridge, measureCounted] : [measureCounted, measureBridge];
    rows.raw.push(await measure('1. raw node:http server answering 200', plain, { ...CACHED, path: '/' }, SERVER_CORE));
    await first();
    rows.nginx.push(await measure('1. nginx auth_request + proxy_cache, cached', nginx, CACHED, SERVER_CORE));
    await second();
  });
  await Promise.all([middleware.stop(), plain.stop(), bridge.stop(), counted.stop(), nginx.stop()]);

  const [rps, cpu] = [medianRps, medianCpu];
  const vsRaw = rps(rows.bridge) / rps(rows.raw);
  const cpuVsRaw = ratio(cpu(rows.bridge), cpu(rows.raw));
  const metricsOnOff = rps(rows.counted) / rps(rows.bridge);
  const p99 = medianP99(rows.bridge);
  const worstP99 = Math.max(...rows.bridge.map((r) => r.p99));
  const { cells, promClient } = metricsCost();
  const decisionCpu = cpu(rows.bridge);
  return {
    lines: [
      rowTable(Object.values(rows).flat()),
      '',
      `1. cached decisions, median of ${rounds} interleaved round(s), one core each:`,
      `   p99 (autocannon, whole ms): bridge ${p99} ms (worst round ${worstP99}), raw node:http ${medianP99(rows.raw)} ms, nginx ${medianP99(rows.nginx)} ms; ` +
        `the bridge's event-loop delay (its 1 s warm-up included): ${describeLoopDelay(delays)}`,
      `   bridge / raw node:http: ${vsRaw.toFixed(2)}x throughput, CPU ${fixed(cpu(rows.bridge), 1)} vs ${fixed(cpu(rows.raw), 1)} µs per answer (${fixed(cpuVsRaw, 2)}x)`,
      `   nginx / raw node:http: ${(rps(rows.nginx) / rps(rows.raw)).toFixed(2)}x throughput, CPU ${fixed(cpu(rows.nginx), 1)} µs per answer; bridge / nginx ${(rps(rows.bridge) / rps(rows.nginx)).toFixed(2)}x`,
      `   metrics on vs off: ${metricsOnOff.toFixed(3)}x throughput, CPU ${fixed(cpu(rows.counted), 1)} vs ${fixed(decisionCpu, 1)} µs per decision`,
      `   counting one cached check: ${cells.toFixed(0)} ns` +
        (decisionCpu === undefined
          ? ''
          : ` = ${((100 * cells) / (decisionCpu * 1000)).toFixed(2)}% of a cached decision's CPU`) +
        ` (prom-client's labelled children per check: ${promClient.toFixed(0)} ns)`,
    ],
    targets: [
      {
        figure: 'cached / raw node:http, throughput',
        measured: `${vsRaw.toFixed(2)}x`,
        target: '>= 0.85x',
        met: vsRaw >= 0.85,
      },
      {
        figure: 'cached / raw node:http, CPU per request',
        measured: `${fixed(cpuVsRaw, 2)}x (${fixed(cpu(rows.bridge), 1)} vs ${fixed(cpu(rows.raw), 1)} µs)`,
        target: '<= 1.25x',
        met: cpuVsRaw === undefined ? undefined : cpuVsRaw <= 1.25,
      },
      {
        figure: 'cached decisions, p99',
        measured: `${p99} ms (worst round ${worstP99} ms)`,
        target: '< 5 ms',
        met: p99 < 5,
      },
      {
        figure: 'metrics on / off, cached',
        measured: `${metricsOnOff.toFixed(3)}x`,
        target: '>= 0.97x',
        met: metricsOnOff >= 0.97,
      },
    ],
  };
}
