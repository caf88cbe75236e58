/**
 * Section 2: cache misses, every request with a token of its own, beside the
 * minimal undici proxy (the limit of a miss path in Node) and nginx's miss;
 * and the latency a miss adds in front of the middleware.
 */
import { SERVER_CORE, LOAD_CORE } from './cores.js';
import { startNginxPeer } from './nginx.js';
import { startBridge, startCountingMiddleware, startMinimalProxy } from './processes.js';
import { fixed, measure, ratio, type Row, rowTable, type Section } from './report.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, VIEWER } from './settings.js';

const miss = (path: string, connections = CONNECTIONS) => ({
  path: `${path}?token=miss-[<id>]`,
  connections,
  headers: VIEWER,
  unique: true,
});

const added = (a: Row, b: Row) =>
  `mean +${(b.mean - a.mean).toFixed(3)} ms, p50 +${b.p50 - a.p50} ms, p99 +${b.p99 - a.p99} ms`;

export async function cacheMisses(): Promise<Section> {
  const middleware = await startCountingMiddleware();
  const bridge = await startBridge([...BRIDGE_BASE, ...backendLines(middleware.url)]);
  const proxy = await startMinimalProxy(middleware.url);
  const nginx = await startNginxPeer(middleware.url);
  const direct = await measure('2. middleware called directly', middleware, miss('/check'), LOAD_CORE);
  const limit = await measure('2. minimal undici proxy (no cache)', proxy, miss('/auth'), SERVER_CORE);
  const bridged = await measure('2. bridge, cache miss → middleware', bridge, miss('/auth'), SERVER_CORE);
  const peer = await measure('2. nginx auth_request, cache miss', nginx, miss('/auth'), SERVER_CORE);
  const directAlone = await measure('2. middleware called directly', middleware, miss('/check', 1), LOAD_CORE);
  const bridgedAlone = await measure('2. bridge, cache miss → middleware', bridge, miss('/auth', 1), SERVER_CORE);
  await Promise.all([middleware.stop(), bridge.stop(), proxy.stop(), nginx.stop()]);

  const vsLimit = bridged.rps / limit.rps;
  const cpuVsLimit = ratio(bridged.cpuMicros, limit.cpuMicros);
  return {
    lines: [
      rowTable([direct, limit, bridged, peer, directAlone, bridgedAlone]),
      '',
      `2. misses, one core each: bridge / minimal undici proxy ${vsLimit.toFixed(2)}x throughput, CPU ${fixed(bridged.cpuMicros, 1)} vs ${fixed(limit.cpuMicros, 1)} µs per miss (${fixed(cpuVsLimit, 2)}x)`,
      `   nginx / bridge: ${(peer.rps / bridged.rps).toFixed(2)}x throughput, nginx CPU ${fixed(peer.cpuMicros, 1)} µs per miss`,
      `   latency a cache miss adds in front of the middleware, 1 connection: ${added(directAlone, bridgedAlone)}`,
      `   the same under ${CONNECTIONS} connections (includes queueing at saturation): ${added(direct, bridged)}`,
    ],
    targets: [
      {
        figure: 'misses / minimal undici proxy, throughput',
        measured: `${vsLimit.toFixed(2)}x`,
        target: '>= 0.7x',
        met: vsLimit >= 0.7,
      },
      {
        figure: 'CPU per miss',
        measured: `${fixed(bridged.cpuMicros, 1)} µs (proxy ${fixed(limit.cpuMicros, 1)} µs)`,
        target: '<= 90 µs',
        met: bridged.cpuMicros === undefined ? undefined : bridged.cpuMicros <= 90,
      },
    ],
  };
}
