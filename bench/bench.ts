/**
 * `npm run bench` (`-- --quick` for a short run): the figures of issues 4, 12
 * and 14, measured side by side in one run on this machine. Every server is a
 * separate process on loopback, pinned to its own core where the machine has
 * two (see cores.ts); load comes from autocannon in a process of its own, or
 * from this process (undici) for scripted workloads. Ratios, not absolute
 * figures, are what a shared machine can tell; the closing table judges each
 * target of issue 14 met or missed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cachedDecisions } from './cached.js';
import { coalescing } from './coalescing.js';
import { coresNote, pinThisProcessToLoadCore } from './cores.js';
import { drive, type HlsWorkload } from './hls.js';
import { httpMemory } from './httpMemory.js';
import { cacheMisses } from './misses.js';
import { cpuSeconds, startBridge, startCountingMiddleware } from './processes.js';
import { redisCache } from './redisCache.js';
import { difference, fixed, ratio, type Section, type Target, targetTable } from './report.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, QUICK, SECONDS } from './settings.js';
import { sessionListing } from './sessions.js';
import { slowMiddleware } from './slowMiddleware.js';
import { statsOnOff } from './stats.js';
import { workers } from './workers.js';

/** The cached run stops here if the machine is too busy to send every check in time (the uncached one at a third). */
const HLS_CAP_MS = 1000 * (QUICK ? 20 : 60);

async function hlsWorkload(): Promise<Section> {
  const middleware = await startCountingMiddleware();
  const backend = backendLines(middleware.url);
  const cached = await startBridge([...BRIDGE_BASE, ...backend]);
  const uncached = await startBridge([...BRIDGE_BASE, 'cache: {enabled: false}', ...backend]);
  const workload: HlsWorkload = {
    viewers: 10_000,
    channels: 200,
    checks: QUICK ? 100_000 : 400_000,
    zapProbability: 0.01,
  };
  const started = Date.now();
  const cpuBefore = cpuSeconds(cached.pid);
  const seen = await drive(cached.url, workload, started + HLS_CAP_MS);
  const cpu = ratio(difference(cpuSeconds(cached.pid), cpuBefore), seen.checks / 1e6);
  const withCache = await middleware.count();
  const seconds = (Date.now() - started) / 1000;
  await middleware.reset();
  // Without a cache every check is a middleware request; a shorter run of the same sequence shows it.
  const shorter = { ...workload, checks: 50_000 };
  const uncachedSeen = await drive(uncached.url, shorter, Date.now() + HLS_CAP_MS / 3);
  const withoutCache = await middleware.count();
  await Promise.all([middleware.stop(), cached.stop(), uncached.stop()]);
  const perThousand = (asked: number, checks: number) => (1000 * asked) / checks;
  const on = perThousand(withCache, seen.checks);
  const off = perThousand(withoutCache, uncachedSeen.checks);
  const fewer = 100 * (1 - on / off);
  return {
    lines: [
      `4. HLS-like: ${workload.viewers} viewers, ${workload.channels} channels (Zipf), ${seen.checks} of ${workload.checks} checks sent (time cap ${HLS_CAP_MS / 1000} s), ${workload.zapProbability * 100}% zap per check`,
      `   cache on:  ${on.toFixed(1)} middleware requests per 1,000 checks (${withCache} in all; ${Math.round(seen.checks / seconds)} checks/s, ${fixed(cpu, 1)} µs bridge CPU per check; statuses ${JSON.stringify(Object.fromEntries(seen.statuses))})`,
      `   cache off: ${off.toFixed(1)} middleware requests per 1,000 checks (${withoutCache} for ${uncachedSeen.checks} checks)`,
      `   → ${fewer.toFixed(1)}% fewer middleware requests (target >= 95%)`,
    ],
    targets: [
      {
        figure: 'HLS-like, middleware requests saved',
        measured: `${fewer.toFixed(1)}%`,
        target: '>= 95%',
        met: fewer >= 95,
      },
    ],
  };
}

const IN_PROCESS_CAP_SECONDS = QUICK ? 20 : 60;

/** Scenario 5 in its own process with --expose-gc: the decider alone, without HTTP. */
function inProcessMemory(): Section {
  const script = fileURLToPath(new URL('./memory.ts', import.meta.url));
  const entries = QUICK ? 100_000 : 1_000_000;
  const child = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--max-old-space-size=4096',
      '--import',
      'tsx',
      script,
      String(entries),
      String(IN_PROCESS_CAP_SECONDS),
    ],
    { encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(`memory benchmark failed: ${child.stderr}`);
  const m = JSON.parse(child.stdout) as {
    entries: number;
    heapBytesPerEntry: number;
    heapMiB: number;
    rssMiB: number;
    settledRssMiB: number;
  };
  return {
    lines: [
      `5. memory with ${m.entries.toLocaleString('en')} cached decisions${m.entries < entries ? ` (time cap of ${IN_PROCESS_CAP_SECONDS} s reached before ${entries.toLocaleString('en')})` : ''}, in process: ${Math.round(m.heapBytesPerEntry)} bytes of heap per decision (target < 400), heap ${Math.round(m.heapMiB)} MiB, RSS ${Math.round(m.settledRssMiB)} MiB a second after full collections (${Math.round(m.rssMiB)} MiB right after)`,
    ],
    targets: [],
  };
}

pinThisProcessToLoadCore();
const started = Date.now();
console.log(
  `iptv-auth-bridge benchmark${QUICK ? ' (--quick)' : ''}: node ${process.version}, ${SECONDS} s per load row after 1 s of warm-up, ${CONNECTIONS} connections unless noted\n${coresNote()}\n`,
);
const sections: Section[] = [];
for (const section of [
  cachedDecisions,
  cacheMisses,
  coalescing,
  hlsWorkload,
  async () => inProcessMemory(),
  statsOnOff,
  sessionListing,
  redisCache,
  slowMiddleware,
  workers,
  httpMemory,
]) {
  const sectionStarted = Date.now();
  const done = await section();
  sections.push({ ...done, lines: [...done.lines, `   (${Math.round((Date.now() - sectionStarted) / 1000)} s)`] });
}
const targets: Target[] = sections.flatMap((s) => s.targets);
console.log(`\n${sections.map((s) => s.lines.join('\n')).join('\n\n')}`);
console.log(`\nTargets (${coresNote()}; whole run ${Math.round((Date.now() - started) / 1000)} s):\n`);
console.log(targetTable(targets));
