/**
 * Section 9: `serve --workers 2` (both cores; the load generator shares the
 * second) against `--workers 1` (one core), cached decisions of one viewing
 * session (its checks feed the lead worker's statistics), in interleaved
 * rounds; the best round of each side is compared. The CPU of the whole
 * process group counts. n/a where this build has no `--workers`.
 */
import { BOTH_CORES, SERVER_CORE } from './cores.js';
import { startBridgeIfSupported, startCountingMiddleware } from './processes.js';
import { fixed, measure, ratio, type Row, rowTable, type Section } from './report.js';
import { interleavedRounds, medianCpu, medianRps } from './rounds.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, VIEWER } from './settings.js';

/** No round starts past this once three have run (see rounds.ts). */
const CAP_SECONDS = 60;
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
  const single: Row[] = [];
  const double: Row[] = [];
  const rounds = await interleavedRounds(CAP_SECONDS, async (index) => {
    single.push(await measure(`9. bridge --workers 1, cached (round ${index + 1})`, one, CACHED, SERVER_CORE));
    double.push(await measure(`9. bridge --workers 2, cached (round ${index + 1})`, two, CACHED, BOTH_CORES));
  });
  await Promise.all([middleware.stop(), one.stop(), two.stop()]);
  const [oneCpu, twoCpu] = [medianCpu(single), medianCpu(double)];
  const cpu = ratio(twoCpu, oneCpu);
  const measured = `${fixed(twoCpu, 1)} vs ${fixed(oneCpu, 1)} µs (${fixed(cpu, 2)}x)`;
  return {
    lines: [
      rowTable([...single, ...double]),
      '',
      `9. --workers 2 / --workers 1, median of ${rounds} interleaved round(s): ${(medianRps(double) / medianRps(single)).toFixed(2)}x throughput, CPU ${measured} per request`,
    ],
    targets: [
      {
        figure: '--workers 2, CPU per request',
        measured,
        target: "<= one worker's",
        met: cpu === undefined ? undefined : cpu <= 1,
      },
    ],
  };
}
