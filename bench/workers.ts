/**
 * Section 9: `serve --workers 2` against `--workers 1` (one core), cached
 * decisions of one viewing session (its checks feed the lead worker's
 * statistics), in interleaved rounds, compared as medians. The CPU of the
 * whole process group counts, the primary's included (its own share is
 * printed too). `--workers 2` runs twice: on both cores, where the second
 * worker shares cpu 1 with the load generator (what an operator's second
 * core costs here), and with both workers on cpu 0, where no worker shares a
 * core with the load generator, so the two rows tell the host's contention
 * from the bridge's own cost. n/a where this build has no `--workers`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { BOTH_CORES, type Cores, SERVER_CORE } from './cores.js';
import { generateLoad } from './loadgen.js';
import { type Bridge, cpuSeconds, startBridgeIfSupported, startCountingMiddleware } from './processes.js';
import { fixed, measure, ratio, type Row, rowTable, type Section } from './report.js';
import { interleavedRounds, median, medianCpu, medianRps } from './rounds.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, FIRST_WARM_UP_SECONDS, SECONDS, VIEWER } from './settings.js';

/** No round starts past this once three have run (see rounds.ts). */
const CAP_SECONDS = 90;
const CACHED = { path: '/auth?token=cached-token', connections: 2 * CONNECTIONS, headers: VIEWER };

/** The processes `pid` started (a primary's workers). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** CPU seconds of `pid` alone, without its children (a primary without its workers). */
function ownCpuSeconds(pid: number): number | undefined {
  const all = cpuSeconds(pid);
  if (all === undefined) return undefined;
  return childrenOf(pid).reduce((rest, child) => rest - (cpuSeconds(child) ?? 0), all);
}

interface Side {
  readonly name: string;
  readonly bridge: Bridge;
  readonly cores: Cores;
  readonly rows: Row[];
  /** The primary's own CPU per request of each round, µs. */
  readonly primary: number[];
}

/** One round of one side: warmed up, then measured, the primary's own CPU read around the measurement. */
async function round(side: Side, index: number): Promise<void> {
  await generateLoad({ ...CACHED, url: side.bridge.url, seconds: index === 0 ? FIRST_WARM_UP_SECONDS : 1 });
  const before = ownCpuSeconds(side.bridge.pid);
  const row = await measure(`9. ${side.name} (round ${index + 1})`, side.bridge, CACHED, side.cores, 0);
  const after = ownCpuSeconds(side.bridge.pid);
  side.rows.push(row);
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
  const [one, spread, shared] = (started as Bridge[]).map((bridge, i): Side => {
    const names = ['bridge --workers 1, cached', 'bridge --workers 2, cached', 'bridge --workers 2 on cpu 0, cached'];
    return { name: names[i]!, bridge, cores: i === 1 ? BOTH_CORES : SERVER_CORE, rows: [], primary: [] };
  }) as [Side, Side, Side];
  const rounds = await interleavedRounds(CAP_SECONDS, async (index) => {
    for (const side of [one, spread, shared]) await round(side, index);
  });
  await Promise.all([middleware.stop(), one.bridge.stop(), spread.bridge.stop(), shared.bridge.stop()]);
  const oneCpu = medianCpu(one.rows);
  const compared = (side: Side) => {
    const cpu = medianCpu(side.rows);
    const times = ratio(cpu, oneCpu);
    return { times, text: `${fixed(cpu, 1)} vs ${fixed(oneCpu, 1)} µs (${fixed(times, 2)}x)` };
  };
  const both = compared(spread);
  const alone = compared(shared);
  const primary = (side: Side) => (side.primary.length === 0 ? '-' : fixed(median(side.primary), 1));
  return {
    lines: [
      rowTable([...one.rows, ...spread.rows, ...shared.rows]),
      '',
      `9. --workers 2 / --workers 1, medians of ${rounds} interleaved round(s), CPU per request of the whole group:`,
      `   on cpu 0,1: ${(medianRps(spread.rows) / medianRps(one.rows)).toFixed(2)}x throughput, CPU ${both.text}; the second worker shares cpu 1 with the load generator`,
      `   on cpu 0 alone: CPU ${alone.text}; no worker shares a core with the load generator, the two workers take turns on one`,
      `   the primary's own share: ${primary(spread)} µs (cpu 0,1), ${primary(shared)} µs (cpu 0) per request`,
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
        measured: alone.text,
        target: "<= one worker's",
        met: alone.times === undefined ? undefined : alone.times <= 1,
      },
    ],
  };
}
