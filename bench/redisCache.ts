/**
 * Section 7: cached decisions with the Redis store (a real redis-server on the
 * load core) beside the memory store, in interleaved rounds; and with the
 * near-cache (`cache.localTtl`) where this build's config takes it. Each
 * round measures every side once, the memory store's row and the near-cache's
 * next to each other, in turns (memory first in one round, the near-cache
 * first in the next), so that neither always follows the `localTtl 0` row nor
 * the machine's drift of a minute weighs on one side alone. The ratios are
 * taken within a round, then read as the median over the rounds. Beside them,
 * what says whether the near-cache's hits leave Redis alone: the commands
 * redis-server answered and the CPU it used per hit while the near-cache's
 * rows ran, and each bridge's context switches per 1,000 requests.
 */
import { Redis } from 'ioredis';
import { startRedis } from '../test/support/redisServer.js';
import { SERVER_CORE } from './cores.js';
import { contextSwitches } from './procCounters.js';
import { type Bridge, cpuSeconds, startBridge, startBridgeIfSupported, startCountingMiddleware } from './processes.js';
import { fixed, measure, type Row, rowTable, type Section } from './report.js';
import { interleavedRounds, median, medianCpu } from './rounds.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, SECONDS, VIEWER } from './settings.js';

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

/** What one side's rows saw besides throughput and CPU, per round. */
interface Seen {
  readonly rows: Row[];
  /** Context switches of every thread of the bridge per 1,000 requests. */
  readonly switches: number[];
  /** Commands redis-server answered per 1,000 requests (the bench's own INFO left out). */
  readonly commands: number[];
  /** redis-server's CPU per request, µs. */
  readonly redisCpu: number[];
}

const seen = (): Seen => ({ rows: [], switches: [], commands: [], redisCpu: [] });

/** redis-server's pid and its count of commands answered so far (`INFO` itself counted once it is answered). */
async function redisCounters(client: Redis): Promise<{ pid: number; commands: number }> {
  const info = await client.info();
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
  return { pid: field('process_id'), commands: field('total_commands_processed') };
}

/** One row of `bridge`, with the counters of `Seen` read around it. */
async function measureSide(name: string, bridge: Bridge, side: Seen, client: Redis): Promise<void> {
  const before = await redisCounters(client);
  const [redisBefore, switchedBefore] = [cpuSeconds(before.pid), contextSwitches(bridge.pid)];
  const row = await measure(name, bridge, CACHED, SERVER_CORE);
  const after = await redisCounters(client);
  const [redisAfter, switchedAfter] = [cpuSeconds(after.pid), contextSwitches(bridge.pid)];
  side.rows.push(row);
  // The row's rate over its measured seconds is the requests answered; the warm-up's are counted by the rest too.
  const requests = row.rps * SECONDS;
  if (requests === 0) return;
  side.commands.push((1000 * (after.commands - before.commands - 1)) / requests);
  if (switchedBefore !== undefined && switchedAfter !== undefined)
    side.switches.push((1000 * (switchedAfter - switchedBefore)) / requests);
  if (redisBefore !== undefined && redisAfter !== undefined)
    side.redisCpu.push(((redisAfter - redisBefore) * 1e6) / requests);
}

export async function redisCache(): Promise<Section> {
  const middleware = await startCountingMiddleware();
  const redis = await startRedis();
  const client = new Redis(redis.url);
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
  const sides = { memory: seen(), redis: seen(), near: seen() };
  const measureMemory = () => measureSide('7. bridge, memory store, cached', memory, sides.memory, client);
  const measureNear = async () => {
    if (!('refused' in near))
      await measureSide(`7. bridge, Redis store, localTtl ${LOCAL_TTL_SECONDS} s, cached`, near, sides.near, client);
  };
  const rounds = await interleavedRounds(CAP_SECONDS, async (round) => {
    await measureSide('7. bridge, Redis store, localTtl 0, cached', shared, sides.redis, client);
    const [first, second] = round % 2 === 0 ? [measureMemory, measureNear] : [measureNear, measureMemory];
    await first();
    await second();
  });
  client.disconnect();
  await Promise.all([middleware.stop(), memory.stop(), shared.stop(), ...('refused' in near ? [] : [near.stop()])]);
  await redis.stop();

  const rows = { memory: sides.memory.rows, redis: sides.redis.rows, near: sides.near.rows };
  const rps = (side: readonly Row[]) => pairedRatio(side, rows.memory, (row) => row.rps);
  const cpu = (side: readonly Row[]) => pairedRatio(side, rows.memory, (row) => row.cpuMicros);
  const compared = (side: readonly Row[]) =>
    `${fixed(rps(side), 2)}x throughput, CPU ${fixed(medianCpu(side), 1)} vs ${fixed(medianCpu(rows.memory), 1)} µs per decision (${fixed(cpu(side), 2)}x)`;
  const middle = (values: readonly number[], digits: number) =>
    values.length === 0 ? '-' : fixed(median(values), digits);
  const counters = (side: Seen) =>
    `${middle(side.commands, 1)} Redis commands per 1,000 requests, redis-server CPU ${middle(side.redisCpu, 2)} µs per request, ` +
    `bridge context switches ${middle(side.switches, 0)} per 1,000 requests`;
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
      `   while each row ran (medians): memory store ${counters(sides.memory)}`,
      `     localTtl 0: ${counters(sides.redis)}`,
      ...('refused' in near ? [] : [`     localTtl ${LOCAL_TTL_SECONDS} s: ${counters(sides.near)}`]),
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
