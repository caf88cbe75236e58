/**
 * Section 9: `serve --workers 2` against `--workers 1` (one core), cached
 * decisions of one viewing session (its checks feed the lead worker's
 * statistics), in interleaved rounds, compared as medians. CPU per request
 * counts every process of the group: the primary's and both workers' (the
 * primary's own share is printed too). `--workers 2` runs twice: on both
 * cores, where the second worker shares cpu 1 with the load generator (what
 * an operator's second core costs here), and with both workers on cpu 0,
 * where no worker shares a core with the load generator. Beside them the
 * control: two independent bridges (`--workers 1` each) on cpu 0, the same
 * connections split between them: no cluster code at all, so it shows what
 * two busy processes taking turns on one core cost, and the group's own
 * cost (IPC, the primary, the statistics relay) is what it adds to that.
 * Context switches per request, counted for every side, show what taking
 * turns costs: each switch is a wake-up that answers fewer requests at once.
 * n/a where this build has no `--workers`.
 */
import { BOTH_CORES, type Cores, describeCores, SERVER_CORE } from './cores.js';
import { generateLoad, type LoadResult } from './loadgen.js';
import { childrenOf, contextSwitches } from './procCounters.js';
import { type Bridge, cpuSeconds, startBridge, startBridgeIfSupported, startCountingMiddleware } from './processes.js';
import { fixed, ratio, type Row, rowTable, type Section } from './report.js';
import { interleavedRounds, median, medianCpu, medianRps } from './rounds.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, FIRST_WARM_UP_SECONDS, SECONDS, VIEWER } from './settings.js';

/** No round starts past this once three have run (see rounds.ts). */
const CAP_SECONDS = 120;
const CACHED = { path: '/auth?token=cached-token', connections: 2 * CONNECTIONS, headers: VIEWER };

/** CPU seconds of `pid` alone, without its children (a primary without its workers). */
function ownCpuSeconds(pid: number): number | undefined {
  const all = cpuSeconds(pid);
  if (all === undefined) return undefined;
  return childrenOf(pid).reduce((rest, child) => rest - (cpuSeconds(child) ?? 0), all);
}

interface Side {
  readonly name: string;
  /** One bridge (with its workers, if any), or the control's two, the connections split between them. */
  readonly bridges: readonly Bridge[];
  readonly cores: Cores;
  readonly rows: Row[];
  /** A group primary's own CPU per request of each round, µs. */
  readonly primary: number[];
  /** Context switches per 1,000 requests of each round, every process of the side. */
  readonly switches: number[];
}

/** CPU seconds of every bridge of a side, each with its workers. */
function sideCpuSeconds(side: Side): number | undefined {
  let total = 0;
  for (const { pid } of side.bridges) {
    const each = cpuSeconds(pid);
    if (each === undefined) return undefined;
    total += each;
  }
  return total;
}

/** Context switches of every process of a side. */
function sideSwitches(side: Side): number | undefined {
  let total = 0;
  for (const { pid } of side.bridges) {
    const each = contextSwitches(pid);
    if (each === undefined) return undefined;
    total += each;
  }
  return total;
}

/** The side's connections split over its bridges, all loaded at once. */
function loadSide(side: Side, seconds: number): Promise<LoadResult[]> {
  const connections = CACHED.connections / side.bridges.length;
  return Promise.all(side.bridges.map(({ url }) => generateLoad({ ...CACHED, connections, url, seconds })));
}

/** SECONDS of load on a side; CPU per request of all its processes. */
async function measureSide(name: string, side: Side): Promise<Row> {
  const before = sideCpuSeconds(side);
  const results = await loadSide(side, SECONDS);
  const after = sideCpuSeconds(side);
  const sum = (of: (result: LoadResult) => number) => results.reduce((total, result) => total + of(result), 0);
  const rps = sum((result) => result.rps);
  process.stdout.write(`  ${name} [${CACHED.connections} conn]: ${Math.round(rps)} req/s\n`);
  return {
    name,
    cores: describeCores(side.cores),
    connections: CACHED.connections,
    rps,
    mean: (1000 * CACHED.connections) / rps,
    p50: Math.max(...results.map((result) => result.p50)),
    p99: Math.max(...results.map((result) => result.p99)),
    errors: sum((result) => result.errors),
    cpuMicros: before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / sum((r) => r.total),
  };
}

/** One round of one side: warmed up, then measured, a primary's own CPU read around the measurement. */
async function round(side: Side, index: number): Promise<void> {
  await loadSide(side, index === 0 ? FIRST_WARM_UP_SECONDS : 1);
  const [first] = side.bridges;
  const group =
    side.bridges.length === 1 && first !== undefined && childrenOf(first.pid).length > 0 ? first : undefined;
  const before = group && ownCpuSeconds(group.pid);
  const switchedBefore = sideSwitches(side);
  const row = await measureSide(`9. ${side.name} (round ${index + 1})`, side);
  const switchedAfter = sideSwitches(side);
  const after = group && ownCpuSeconds(group.pid);
  side.rows.push(row);
  if (switchedBefore !== undefined && switchedAfter !== undefined && row.rps > 0)
    side.switches.push((1000 * (switchedAfter - switchedBefore)) / (row.rps * SECONDS));
  // The row's rate over the measured seconds is the requests answered.
  if (before !== undefined && after !== undefined && row.rps > 0)
    side.primary.push(((after - before) * 1e6) / (row.rps * SECONDS));
}

export async function workers(): Promise<Section> {
  const middleware = await startCountingMiddleware();
  const config = [...BRIDGE_BASE, ...backendLines(middleware.url)];
  // One at a time: three groups loading at once on a busy 2-core machine outlast the start's 10 s.
  const started = [];
  for (const [count, cores] of [
    ['1', SERVER_CORE],
    ['2', BOTH_CORES],
    ['2', SERVER_CORE],
  ] as const)
    started.push(await startBridgeIfSupported(config, { serveArgs: ['--workers', count], cores }));
  const refused = started.find((each) => 'refused' in each);
  if (refused !== undefined) {
    await Promise.all([middleware.stop(), ...started.map((b) => ('refused' in b ? undefined : b.stop()))]);
    return {
      lines: [`9. serve --workers 2 vs 1: n/a (not supported by this build: ${refused.refused})`],
      targets: [{ figure: '--workers 2, CPU per request', measured: 'n/a', target: "<= one worker's", met: undefined }],
    };
  }
  const pair = [await startBridge(config, { cores: SERVER_CORE }), await startBridge(config, { cores: SERVER_CORE })];
  const names = ['bridge --workers 1, cached', 'bridge --workers 2, cached', 'bridge --workers 2 on cpu 0, cached'];
  const [one, spread, shared] = (started as Bridge[]).map(
    (bridge, i): Side => ({
      name: names[i]!,
      bridges: [bridge],
      cores: i === 1 ? BOTH_CORES : SERVER_CORE,
      rows: [],
      primary: [],
      switches: [],
    }),
  ) as [Side, Side, Side];
  const control: Side = {
    name: 'two bridges on cpu 0, cached',
    bridges: pair,
    cores: SERVER_CORE,
    rows: [],
    primary: [],
    switches: [],
  };
  const sides = [one, spread, shared, control];
  const rounds = await interleavedRounds(CAP_SECONDS, async (index) => {
    for (const side of sides) await round(side, index);
  });
  await Promise.all([middleware.stop(), ...sides.flatMap((side) => side.bridges.map((bridge) => bridge.stop()))]);
  const oneCpu = medianCpu(one.rows);
  const compared = (side: Side) => {
    const cpu = medianCpu(side.rows);
    const times = ratio(cpu, oneCpu);
    return { times, text: `${fixed(cpu, 1)} vs ${fixed(oneCpu, 1)} µs (${fixed(times, 2)}x)` };
  };
  const both = compared(spread);
  const alone = compared(shared);
  const twoProcesses = compared(control);
  const primary = (side: Side) => (side.primary.length === 0 ? '-' : fixed(median(side.primary), 1));
  const switches = (side: Side) => (side.switches.length === 0 ? '-' : fixed(median(side.switches), 0));
  return {
    lines: [
      rowTable(sides.flatMap((side) => side.rows)),
      '',
      `9. against --workers 1, medians of ${rounds} interleaved round(s), CPU per request of every process (a group's primary and each worker):`,
      `   --workers 2 on cpu 0,1: ${(medianRps(spread.rows) / medianRps(one.rows)).toFixed(2)}x throughput, CPU ${both.text}; the second worker shares cpu 1 with the load generator`,
      `   --workers 2 on cpu 0 alone: CPU ${alone.text}; no worker shares a core with the load generator, the two workers take turns on one`,
      `   control, two independent bridges on cpu 0 (no cluster code): CPU ${twoProcesses.text}; what two processes taking turns on one core cost here`,
      `   the primary's own share: ${primary(spread)} µs (cpu 0,1), ${primary(shared)} µs (cpu 0) per request`,
      `   context switches per 1,000 requests, every process of a side: ${sides.map((side) => `${side.name.replace(/, cached$/, '')} ${switches(side)}`).join('; ')}`,
    ],
    targets: [
      {
        figure: '--workers 2, CPU per request',
        measured: both.text,
        target: "<= one worker's",
        met: both.times === undefined ? undefined : both.times <= 1,
      },
      {
        figure: '--workers 2 on one core, CPU per request',
        measured: `${alone.text}; two independent bridges on that core ${fixed(twoProcesses.times, 2)}x`,
        target: "<= one worker's",
        met: alone.times === undefined ? undefined : alone.times <= 1,
      },
    ],
  };
}
