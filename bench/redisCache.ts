/**
 * Section 7: cached decisions with the Redis store (a real redis-server on the
 * load core) beside the memory store, in interleaved rounds; and with the
 * near-cache (`cache.localTtl`) where this build's config takes it. Each
 * round measures every side once, and the ratios are taken within a round
 * (the sides of one round share the machine's load of that minute), then
 * read as the median over the rounds: the best of two rounds moved this
 * ratio from 0.6x to 1.0x between runs on the same build.
 */
import { startRedis } from '../test/support/redisServer.js';
import { SERVER_CORE } from './cores.js';
import { startBridge, startBridgeIfSupported, startCountingMiddleware } from './processes.js';
import { fixed, measure, type Row, rowTable, type Section } from './report.js';
import { interleavedRounds, median, medianCpu } from './rounds.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, VIEWER } from './settings.js';

const CACHED = { path: '/auth?token=cached-token', connections: CONNECTIONS, headers: VIEWER };
const LOCAL_TTL_SECONDS = 5;
/** No round starts past this once three have run (see rounds.ts). */
const CAP_SECONDS = 90;

/** The median over the rounds of `side`'s figure over the memory store's in the same round. */
function pairedRatio(side: readonly Row[], memory: readonly Row[], figure: (row: Row) => number | undefined) {
  const ratios = side.flatMap((row, round) => {
    const [mine, theirs] = [figure(row), figure(memory[round]!)];
    return mine === undefined || theirs === undefined || theirs === 0 ? [] : [mine / theirs];
  });
  return ratios.length === 0 ? undefined : median(ratios);
}

export async function redisCache(): Promise<Section> {
  const middleware = await startCountingMiddleware();
  const redis = await startRedis();
  const backend = backendLines(middleware.url);
  const store = `store: redis, redisUrl: "${redis.url}"`;
  const memory = await startBridge([...BRIDGE_BASE, ...backend]);
  // localTtl 0: every cached check reads Redis, the store without its near-cache.
  const shared = await startBridge([...BRIDGE_BASE, `cache: {${store}, localTtl: 0}`, ...backend]);
  const near = await startBridgeIfSupported([
    ...BRIDGE_BASE,
    `cache: {${store}, localTtl: ${LOCAL_TTL_SECONDS}}`,
    ...backend,
  ]);
  const rows = { memory: [] as Row[], redis: [] as Row[], near: [] as Row[] };
  const rounds = await interleavedRounds(CAP_SECONDS, async () => {
    rows.memory.push(await measure('7. bridge, memory store, cached', memory, CACHED, SERVER_CORE));
    rows.redis.push(await measure('7. bridge, Redis store, localTtl 0, cached', shared, CACHED, SERVER_CORE));
    if (!('refused' in near))
      rows.near.push(
        await measure(`7. bridge, Redis store, localTtl ${LOCAL_TTL_SECONDS} s, cached`, near, CACHED, SERVER_CORE),
      );
  });
  await Promise.all([middleware.stop(), memory.stop(), shared.stop(), ...('refused' in near ? [] : [near.stop()])]);
  await redis.stop();

  const rps = (side: readonly Row[]) => pairedRatio(side, rows.memory, (row) => row.rps);
  const cpu = (side: readonly Row[]) => pairedRatio(side, rows.memory, (row) => row.cpuMicros);
  const compared = (side: readonly Row[]) =>
    `${fixed(rps(side), 2)}x throughput, CPU ${fixed(medianCpu(side), 1)} vs ${fixed(medianCpu(rows.memory), 1)} µs per decision (${fixed(cpu(side), 2)}x)`;
  const withNear = 'refused' in near ? undefined : rps(rows.near);
  const best = withNear ?? rps(rows.redis);
  return {
    lines: [
      rowTable(Object.values(rows).flat()),
      '',
      `7. against the memory store, cached, medians over ${rounds} interleaved round(s) of each round's ratio:`,
      `   Redis store without near-cache (localTtl 0): ${compared(rows.redis)}`,
      'refused' in near
        ? `   with cache.localTtl: n/a (not supported by this build: ${near.refused})`
        : `   with cache.localTtl ${LOCAL_TTL_SECONDS} s: ${compared(rows.near)}`,
    ],
    targets: [
      {
        figure: `Redis store cached / memory store cached${withNear === undefined ? '' : ' (localTtl)'}`,
        measured: `${fixed(best, 2)}x`,
        target: '>= 0.9x',
        met: best === undefined ? undefined : best >= 0.9,
      },
    ],
  };
}
