/**
 * Section 8: tail latency under a slow middleware. 256 connections, every
 * check a miss, the middleware answering each after 200 ms: the bridge and
 * nginx `auth_request` side by side, rounds interleaved. The worst p99 of the
 * rounds is what a viewer would meet.
 */
import { SERVER_CORE } from './cores.js';
import { startNginxPeer } from './nginx.js';
import { startBridge, startCountingMiddleware } from './processes.js';
import { measure, type Row, rowTable, type Section } from './report.js';
import { BRIDGE_BASE, backendLines, ROUNDS, VIEWER } from './settings.js';

const CONNECTIONS = 256;
const MIDDLEWARE_MS = 200;
const MISS = { path: '/auth?token=slow-[<id>]', connections: CONNECTIONS, headers: VIEWER, unique: true };

export async function slowMiddleware(): Promise<Section> {
  const middleware = await startCountingMiddleware(MIDDLEWARE_MS);
  const bridge = await startBridge([...BRIDGE_BASE, ...backendLines(middleware.url)]);
  const nginx = await startNginxPeer(middleware.url);
  const rows = { bridge: [] as Row[], nginx: [] as Row[] };
  for (let round = 0; round < ROUNDS; round++) {
    rows.bridge.push(await measure(`8. bridge, ${MIDDLEWARE_MS} ms middleware, misses`, bridge, MISS, SERVER_CORE));
    rows.nginx.push(await measure(`8. nginx, ${MIDDLEWARE_MS} ms middleware, misses`, nginx, MISS, SERVER_CORE));
  }
  await Promise.all([middleware.stop(), bridge.stop(), nginx.stop()]);
  const worst = (list: readonly Row[]) => Math.max(...list.map((r) => r.p99));
  const [bridgeP99, nginxP99] = [worst(rows.bridge), worst(rows.nginx)];
  const p50s = (list: readonly Row[]) => list.map((r) => r.p50).join(', ');
  return {
    lines: [
      rowTable([...rows.bridge, ...rows.nginx]),
      '',
      `8. ${CONNECTIONS} connections, ${MIDDLEWARE_MS} ms middleware, worst p99 of ${ROUNDS} round(s): bridge ${bridgeP99} ms (p50 ${p50s(rows.bridge)}), nginx ${nginxP99} ms (p50 ${p50s(rows.nginx)}) → ${(bridgeP99 / nginxP99).toFixed(2)}x`,
    ],
    targets: [
      {
        figure: `p99, ${CONNECTIONS} conn, ${MIDDLEWARE_MS} ms middleware`,
        measured: `bridge ${bridgeP99} ms, nginx ${nginxP99} ms (${(bridgeP99 / nginxP99).toFixed(2)}x)`,
        target: "<= 1.5x nginx's",
        met: bridgeP99 <= 1.5 * nginxP99,
      },
    ],
  };
}
