/**
 * Section 7: cached decisions with the Redis store (a real redis-server on the
 * load core) beside the memory store, rounds interleaved; and with the
 * near-cache (`cache.localTtl`) where this build's config takes it.
 */
import { startRedis } from '../test/support/redisServer.js';
import { SERVER_CORE } from './cores.js';
import { startBridge, startBridgeIfSupported, startCountingMiddleware } from './processes.js';
import { bestCpu, bestRps, fixed, measure, type Row, rowTable, type Section } from './report.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, ROUNDS, VIEWER } from './settings.js';

const CACHED = { path: '/auth?token=cached-token', connections: CONNECTIONS, headers: VIEWER };
const LOCAL_TTL_SECONDS = 5;

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
  for (let round = 0; round < ROUNDS; round++) {
    rows.memory.push(await measure('7. bridge, memory store, cached', memory, CACHED, SERVER_CORE));
    rows.redis.push(await measure('7. bridge, Redis store, localTtl 0, cached', shared, CACHED, SERVER_CORE));
    if (!('refused' in near))
      rows.near.push(
        await measure(`7. bridge, Redis store, localTtl ${LOCAL_TTL_SECONDS} s, cached`, near, CACHED, SERVER_CORE),
      );
  }
  await Promise.all([middleware.stop(), memory.stop(), shared.stop(), ...('refused' in near ? [] : [near.stop()])]);
  await redis.stop();

  const [rps, cpu] = [bestRps, bestCpu];
  const plain = rps(rows.redis) / rps(rows.memory);
  const withNear = 'refused' in near ? undefined : rps(rows.near) / rps(rows.memory);
  const best = withNear ?? plain;
  return {
    lines: [
      rowTable(Object.values(rows).flat()),
      '',
      `7. Redis store without near-cache (localTtl 0) / memory store, cached, best of ${ROUNDS} interleaved round(s): ${plain.toFixed(2)}x throughput, CPU ${fixed(cpu(rows.redis), 1)} vs ${fixed(cpu(rows.memory), 1)} µs per decision`,
      withNear === undefined
        ? `   with cache.localTtl: n/a (not supported by this build: ${'refused' in near ? near.refused : ''})`
        : `   with cache.localTtl ${LOCAL_TTL_SECONDS} s / memory store: ${withNear.toFixed(2)}x throughput, CPU ${fixed(cpu(rows.near), 1)} µs per decision`,
    ],
    targets: [
      {
        figure: `Redis store cached / memory store cached${withNear === undefined ? '' : ' (localTtl)'}`,
        measured: `${best.toFixed(2)}x`,
        target: '>= 0.9x',
        met: best >= 0.9,
      },
    ],
  };
}
