/**
 * Section 9: `serve --workers 2` (both cores; the load generator shares the
 * second) against `--workers 1` (one core), cached decisions. The CPU of the
 * whole process group counts. n/a where this build has no `--workers`.
 */
import { BOTH_CORES, SERVER_CORE } from './cores.js';
import { startBridgeIfSupported, startCountingMiddleware } from './processes.js';
import { fixed, measure, ratio, rowTable, type Section } from './report.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, VIEWER } from './settings.js';

const CACHED = { path: '/auth?token=cached-token', connections: 2 * CONNECTIONS, headers: VIEWER };

export async function workers(): Promise<Section> {
  const middleware = await startCountingMiddleware();
  const config = [...BRIDGE_BASE, ...backendLines(middleware.url)];
  const one = await startBridgeIfSupported(config, { serveArgs: ['--workers', '1'], cores: SERVER_CORE });
  const two = await startBridgeIfSupported(config, { serveArgs: ['--workers', '2'], cores: BOTH_CORES });
  if ('refused' in one || 'refused' in two) {
    await Promise.all([middleware.stop(), ...[one, two].map((b) => ('refused' in b ? undefined : b.stop()))]);
    const reason = 'refused' in one ? one.refused : 'refused' in two ? two.refused : '';
    return {
      lines: [`9. serve --workers 2 vs 1: n/a (not supported by this build: ${reason})`],
      targets: [{ figure: '--workers 2, CPU per request', measured: 'n/a', target: "<= one worker's", met: undefined }],
    };
  }
  const single = await measure('9. bridge --workers 1, cached', one, CACHED, SERVER_CORE);
  const double = await measure('9. bridge --workers 2, cached', two, CACHED, BOTH_CORES);
  await Promise.all([middleware.stop(), one.stop(), two.stop()]);
  const cpu = ratio(double.cpuMicros, single.cpuMicros);
  return {
    lines: [
      rowTable([single, double]),
      '',
      `9. --workers 2 / --workers 1: ${(double.rps / single.rps).toFixed(2)}x throughput, CPU ${fixed(double.cpuMicros, 1)} vs ${fixed(single.cpuMicros, 1)} µs per request (${fixed(cpu, 2)}x)`,
    ],
    targets: [
      {
        figure: '--workers 2, CPU per request',
        measured: `${fixed(double.cpuMicros, 1)} vs ${fixed(single.cpuMicros, 1)} µs (${fixed(cpu, 2)}x)`,
        target: "<= one worker's",
        met: cpu === undefined ? undefined : cpu <= 1,
      },
    ],
  };
}
