/**
 * Section 6, issue 12's figure: cached decisions with the statistics store on
 * (SQLite, the default) against `stats: {store: off}` (live sessions in memory
 * only). Every check carries one of 10,000 session ids, so sessions are
 * created, refreshed and written as in production. What each row measures:
 *
 * - warm-up (not a row): 10,000 sessions created on each bridge, and V8 has
 *   optimized the path, so the rows after it compare steady code, not a cold start;
 * - "new sessions": 10,000 sessions the bridge has not seen, all created in
 *   the row (a session row each, written to SQLite), then checked again;
 * - "live sessions": interleaved rounds over those sessions, now live
 *   (refreshed in memory; written again only when they change or every
 *   minute): the steady state the target is judged on, as a median.
 *
 * Each row's load generator runs in a process of its own, as in every section.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeCores, SERVER_CORE } from './cores.js';
import { generateLoad, type SessionIds } from './loadgen.js';
import { startBridge, startCountingMiddleware } from './processes.js';
import { fixed, measure, ratio, type Row, rowTable, type Section } from './report.js';
import { interleavedRounds, medianCpu, medianRps } from './rounds.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, FIRST_WARM_UP_SECONDS, SECONDS, VIEWER } from './settings.js';

const SESSIONS = 10_000;
/** The live-session rounds stop starting past this (see rounds.ts). */
const CAP_SECONDS = 90;

/** How many of the row's checks opened a session: every one up to SESSIONS (a busy machine sends fewer). */
const created = (row: Row) => Math.min(SESSIONS, Math.round(row.rps * SECONDS)).toLocaleString('en');

const load = (sessions: SessionIds) => ({
  path: '/auth?token=cached-token',
  connections: CONNECTIONS,
  headers: VIEWER,
  sessions,
});

export async function statsOnOff(): Promise<Section> {
  const middleware = await startCountingMiddleware();
  const path = join(mkdtempSync(join(tmpdir(), 'bridge-bench-stats-')), 'stats.db');
  const config = [...BRIDGE_BASE, ...backendLines(middleware.url)];
  const bridges = {
    on: await startBridge([...config, `stats: {store: sqlite, path: "${path}"}`]),
    off: await startBridge([...config, 'stats: {store: off}']),
  };
  const sides = ['on', 'off'] as const;
  const label = { on: 'stats on (SQLite)', off: 'stats off' };
  const warmUp = load({ count: SESSIONS });
  const measured = load({ count: SESSIONS, first: SESSIONS });
  for (const side of sides) await generateLoad({ ...warmUp, url: bridges[side].url, seconds: FIRST_WARM_UP_SECONDS });
  const fresh: Record<(typeof sides)[number], Row> = {
    on: await measure(`6. ${label.on}, ${SESSIONS} new sessions`, bridges.on, measured, SERVER_CORE, 0),
    off: await measure(`6. ${label.off}, ${SESSIONS} new sessions`, bridges.off, measured, SERVER_CORE, 0),
  };
  const live = { on: [] as Row[], off: [] as Row[] };
  const rounds = await interleavedRounds(CAP_SECONDS, async (round) => {
    // Each round starts with the side the previous one ended with, so drift of the machine weighs on both alike.
    for (const side of round % 2 === 0 ? sides : [...sides].reverse())
      live[side].push(
        await measure(`6. ${label[side]}, live sessions (round ${round + 1})`, bridges[side], measured, SERVER_CORE),
      );
  });
  await Promise.all([middleware.stop(), bridges.on.stop(), bridges.off.stop()]);

  const liveRatio = medianRps(live.on) / medianRps(live.off);
  const liveCpu = `CPU ${fixed(medianCpu(live.on), 1)} vs ${fixed(medianCpu(live.off), 1)} µs per check`;
  const freshCpu = `CPU ${fixed(fresh.on.cpuMicros, 1)} vs ${fixed(fresh.off.cpuMicros, 1)} µs per check`;
  return {
    lines: [
      rowTable([fresh.on, fresh.off, ...live.on, ...live.off]),
      '',
      `6. statistics on / off, cached decisions over ${SESSIONS.toLocaleString('en')} session ids, bridge on ${describeCores(SERVER_CORE)}:`,
      `   live sessions, median of ${rounds} interleaved round(s): ${liveRatio.toFixed(2)}x throughput, ${liveCpu} (target >= 0.9x)`,
      `   new sessions (${created(fresh.on)} and ${created(fresh.off)} created in the row): ${(fresh.on.rps / fresh.off.rps).toFixed(2)}x throughput, ` +
        `${freshCpu}, ${fixed(ratio(fresh.on.cpuMicros, fresh.off.cpuMicros), 2)}x`,
    ],
    targets: [
      {
        figure: 'stats on / off, cached, sessions live',
        measured: `${liveRatio.toFixed(2)}x (${liveCpu})`,
        target: '>= 0.9x',
        met: liveRatio >= 0.9,
      },
    ],
  };
}
