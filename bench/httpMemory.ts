/**
 * Section 5, through HTTP: heap and RSS of the real CLI process once it holds
 * a million cached decisions, each one a miss sent over HTTP with a token of
 * its own (the in-process figure above leaves out sockets, parsers, the log
 * and the statistics). A probe loaded into the bridge with `--import` answers
 * over IPC with its memory after two full collections, and again a second
 * later, once V8 has handed the pages those collections freed back to the
 * system (what RSS stays at). The load comes in chunks until the count or the
 * time cap is reached: a miss costs the bridge 150 to 300 µs of CPU, so a
 * million take it 150 to 300 s of one core, and the cap leaves room for that.
 * Short of the count, RSS is extrapolated linearly and says so.
 */
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { generateLoad } from './loadgen.js';
import { startBridge, startCountingMiddleware } from './processes.js';
import type { Section } from './report.js';
import { BRIDGE_BASE, backendLines, QUICK, VIEWER } from './settings.js';

const DECISIONS = Number(process.env.BENCH_HTTP_DECISIONS ?? (QUICK ? 100_000 : 1_000_000));
const TIME_CAP_MS = 1000 * Number(process.env.BENCH_HTTP_MEMORY_SECONDS ?? (QUICK ? 30 : 480));
const FIRST_CHUNK = 2000;
const CHUNK_SECONDS = 15;
const MIB = 2 ** 20;

const PROBE = `process.on('message', (message) => {
  if (message !== 'memory?') return;
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, rss } = process.memoryUsage();
  setTimeout(() => {
    globalThis.gc();
    process.send({ heapUsed, rss, settledRss: process.memoryUsage().rss });
  }, 1000);
});`;

interface Memory {
  readonly heapUsed: number;
  /** Right after the collections. */
  readonly rss: number;
  /** A second and one more collection later. */
  readonly settledRss: number;
}

function memoryOf(child: ChildProcess): Promise<Memory> {
  return new Promise((resolve) => {
    child.once('message', (memory) => resolve(memory as Memory));
    child.send('memory?');
  });
}

/** The most RSS the process ever had (VmHWM), in bytes. */
function peakRss(pid: number): number | undefined {
  const line = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return line === null ? undefined : Number(line[1]) * 1024;
}

export async function httpMemory(): Promise<Section> {
  const middleware = await startCountingMiddleware();
  const bridge = await startBridge(
    [...BRIDGE_BASE, `cache: {maxEntries: ${2 * DECISIONS}}`, ...backendLines(middleware.url)],
    { nodeFlags: ['--expose-gc', '--import', `data:text/javascript,${encodeURIComponent(PROBE)}`], ipc: true },
  );
  const spec = { url: bridge.url, path: '/auth?token=mem-[<id>]', connections: 64, headers: VIEWER, unique: true };
  await generateLoad({ ...spec, amount: 1000 });
  const before = await memoryOf(bridge.process);
  const started = Date.now();
  let decisions = 0;
  let errors = 0;
  // Chunks of about CHUNK_SECONDS at the rate the last one ran, so the time cap holds whatever the machine's load.
  let chunk = FIRST_CHUNK;
  while (decisions < DECISIONS && Date.now() - started < TIME_CAP_MS) {
    const chunkStarted = Date.now();
    const result = await generateLoad({ ...spec, amount: Math.min(chunk, DECISIONS - decisions) });
    decisions += result.total - result.errors;
    errors += result.errors;
    const rate = result.total / Math.max(0.001, (Date.now() - chunkStarted) / 1000);
    const secondsLeft = (TIME_CAP_MS - (Date.now() - started)) / 1000;
    chunk = Math.max(FIRST_CHUNK, Math.floor(rate * Math.min(CHUNK_SECONDS, secondsLeft)));
    process.stdout.write(`  5. through HTTP: ${decisions.toLocaleString('en')} decisions (${Math.round(rate)}/s)\n`);
  }
  const seconds = (Date.now() - started) / 1000;
  const after = await memoryOf(bridge.process);
  const peak = peakRss(bridge.pid);
  await Promise.all([middleware.stop(), bridge.stop()]);

  const heapPerDecision = (after.heapUsed - before.heapUsed) / decisions;
  const reached = decisions >= DECISIONS;
  const rssAtTarget = reached
    ? after.settledRss
    : before.settledRss + ((after.settledRss - before.settledRss) * DECISIONS) / decisions;
  const rssWords = `${Math.round(rssAtTarget / MIB)} MiB${reached ? '' : ` (extrapolated from ${Math.round(after.settledRss / MIB)} MiB at ${decisions.toLocaleString('en')})`}`;
  return {
    lines: [
      `5. memory through HTTP, bridge on one core: ${decisions.toLocaleString('en')} cached decisions in ${seconds.toFixed(0)} s (${Math.round(decisions / seconds)}/s, ${errors} errors)${reached ? '' : `, time cap of ${TIME_CAP_MS / 1000} s reached before ${DECISIONS.toLocaleString('en')}`}`,
      `   heap ${Math.round(heapPerDecision)} bytes per decision (${Math.round(before.heapUsed / MIB)} → ${Math.round(after.heapUsed / MIB)} MiB after full collections), RSS ${Math.round(before.settledRss / MIB)} → ${Math.round(after.settledRss / MIB)} MiB a second after them (${Math.round(after.rss / MIB)} MiB right after; peak ${peak === undefined ? '-' : Math.round(peak / MIB)} MiB)`,
      `   at ${DECISIONS.toLocaleString('en')} decisions: RSS ${rssWords}`,
    ],
    targets: [
      {
        figure: 'heap per cached decision, through HTTP',
        measured: `${Math.round(heapPerDecision)} B (at ${decisions.toLocaleString('en')})`,
        target: '< 300 B',
        met: heapPerDecision < 300,
      },
      {
        figure: `RSS at ${DECISIONS.toLocaleString('en')} decisions, through HTTP`,
        measured: rssWords,
        target: '< 700 MiB',
        // Judged only at the full count, or at least a quarter of it: a straight line from fewer is a guess.
        met: DECISIONS >= 1_000_000 && decisions >= DECISIONS / 4 ? rssAtTarget < 700 * MIB : undefined,
      },
    ],
  };
}
