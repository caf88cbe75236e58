/**
 * Section 11: the live-session list at scale. The status page asks `/admin/sessions?limit=1000`
 * and `/admin/status` every 3 s, on the process that answers the checks; whatever those cost
 * on the event loop, every check waits for. Measured in this process, with the real tracker
 * and the real admin listener on loopback, at 10,000 and 100,000 live sessions:
 *
 * - the call's own cost: milliseconds until the whole answer is read (median of a few calls),
 *   for the page's limited list, a filter nothing matches, and the whole list (no limit);
 * - the event loop's longest delay (`monitorEventLoopDelay`, max) and the checks' latency
 *   (p50/p99/max) while the page's polls are asked back to back, against a row without polls.
 *   The checks go to a plain HTTP server on the same loop that hands each to the tracker and
 *   answers 200: a cached decision's cheapest stand-in, so what stalls it is what the polls cost.
 *
 * Load loops are bounded in count and time.
 */
import { spawnSync } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import winston from 'winston';
import { adminAuth } from '../src/admin/auth.js';
import { adminRoutes } from '../src/admin/routes.js';
import { adminHandler } from '../src/admin/server.js';
import { systemClock } from '../src/clock.js';
import { liveSummaries } from '../src/stats/liveSummaries.js';
import { createStatsView } from '../src/stats/view.js';
import { backendSource } from '../src/pipeline/decision.js';
import { SessionTracker } from '../src/sessions/tracker.js';
import type { Section } from './report.js';
import { sessionCheck } from './sessionChecks.js';
import { median } from './rounds.js';
import { QUICK } from './settings.js';

const TOKEN = 'bench-admin-token-0123456789';
const SIZES = [10_000, 100_000] as const;
const CHECK_CONNECTIONS = 8;
const ROW_MS = QUICK ? 2000 : 5000;
const CALLS = QUICK ? 3 : 7;
const portal = backendSource('portal');

interface Listening {
  readonly port: number;
  close(): Promise<void>;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<Listening> {
  const server = createServer({ keepAliveTimeout: 65_000 }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Milliseconds until the whole answer of GET `path` is read. */
function timedGet(agent: Agent, port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () =>
        res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${path}: ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

interface Bed {
  readonly tracker: SessionTracker;
  readonly admin: Listening;
  readonly checks: Listening;
  readonly agent: Agent;
  close(): Promise<void>;
}

async function bed(live: number): Promise<Bed> {
  const tracker = new SessionTracker({ idleTtlSeconds: 3600, maxLive: 1_000_000, clock: systemClock });
  for (let n = 0; n < live; n++) tracker.checkAnswered(sessionCheck(n, portal));
  const log = winston.createLogger({ silent: true });
  const sessions = tracker;
  const routes = adminRoutes({
    actions: {},
    sessions,
    // As `stats: {store: off}` serves them: summed from the live sessions, a slice per turn (a database's are summed in a reader thread).
    stats: createStatsView({ summaries: liveSummaries(tracker) }, () => undefined, Date.now, 3600),
    hasRoute: (route) => route === 'default',
    now: () => new Date(),
    body: { maxBytes: 65_536, timeoutMs: 5000 },
  });
  const admin = await listen(
    adminHandler({
      auth: adminAuth(TOKEN),
      routes,
      registry: { metrics: async () => '', contentType: 'text/plain; version=0.0.4; charset=utf-8' },
      status: () => ({
        live: sessions.liveCount(),
        routes: [{ name: 'default', live: sessions.liveCount('default') }],
      }),
      readiness: () => 'serving',
      page: '',
      hosts: [],
      log,
    }),
  );
  // A check of one of the live sessions: the tracker's work on a repeated check, then the answer.
  let next = 0;
  const checks = await listen((_req, res) => {
    tracker.checkAnswered(sessionCheck(next++ % live, portal));
    res.end('ok');
  });
  const agent = new Agent({ keepAlive: true, maxSockets: CHECK_CONNECTIONS + 2 });
  return {
    tracker,
    admin,
    checks,
    agent,
    async close() {
      tracker.close();
      agent.destroy();
      await Promise.all([admin.close(), checks.close()]);
    },
  };
}

const asAdmin = { Authorization: `Bearer ${TOKEN}` };

/** The call's own cost, median of CALLS calls, nothing else running. */
async function callCost(b: Bed, path: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) times.push(await timedGet(b.agent, b.admin.port, path, asAdmin));
  return median(times);
}

interface LoadRow {
  readonly checks: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly loopMax: number;
  readonly polls: number;
}

/** The page's polls that reach the sessions; with a statistics database its statistics polls are summed in a reader thread. */
const PAGE_POLLS = ['/admin/sessions?limit=1000', '/admin/status'];
/** With `stats: {store: off}` the page's statistics polls are summed from the live sessions, on the event loop. */
const STATS_OFF_POLLS = [
  ...PAGE_POLLS,
  '/admin/stats?by=channel&since=24h',
  '/admin/stats/concurrency?since=6h&step=300',
];

/** Checks for ROW_MS over CHECK_CONNECTIONS connections, while `polls` are asked back to back, in turn. */
async function underLoad(b: Bed, polls: readonly string[]): Promise<LoadRow> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const until = performance.now() + ROW_MS;
  const latencies: number[] = [];
  let polled = 0;
  delay.enable();
  const checker = async () => {
    while (performance.now() < until && latencies.length < 2_000_000)
      latencies.push(await timedGet(b.agent, b.checks.port, '/auth'));
  };
  const poller = async () => {
    while (polls.length > 0 && performance.now() < until && polled < 10_000) {
      for (const path of polls) await timedGet(b.agent, b.admin.port, path, asAdmin);
      polled++;
    }
  };
  await Promise.all([poller(), ...Array.from({ length: CHECK_CONNECTIONS }, checker)]);
  delay.disable();
  latencies.sort((a, c) => a - c);
  const at = (share: number) => latencies[Math.min(latencies.length - 1, Math.floor(share * latencies.length))]!;
  return { checks: latencies.length, p50: at(0.5), p99: at(0.99), max: at(1), loopMax: delay.max / 1e6, polls: polled };
}

/** bench/sessionsCheckBytes.ts in a process of its own (it needs --expose-gc and a large young generation). */
function checkBytes(): string {
  const run = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--max-semi-space-size=512',
      '--import',
      'tsx',
      fileURLToPath(new URL('sessionsCheckBytes.ts', import.meta.url)),
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) return `not measured (${run.stderr.trim().split('\n').at(-1)})`;
  const bytes = JSON.parse(run.stdout) as Record<string, number | null>;
  const shown = (value: number | null | undefined) =>
    value == null ? 'a collection ran: not counted' : `${Math.round(value)} B`;
  return `a live session checked again ${shown(bytes.repeated)}, with X-UserId and X-Max-Sessions ${shown(bytes.repeatedWithLimit)}; a new session ${shown(bytes.started)}`;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

const loadRow = (name: string, r: LoadRow) =>
  `     ${name}: ${r.checks.toLocaleString('en')} checks, latency p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, max ${ms(r.max)}; event loop max ${ms(r.loopMax)}${r.polls ? `; ${r.polls} polls` : ''}`;

/** Only the `stats: {store: off}` rows at 100,000 live sessions: each statistics call's own cost, then the checks while the page polls. */
export async function statsOffOnly(live = 100_000): Promise<string[]> {
  const b = await bed(live);
  const byChannel = await callCost(b, '/admin/stats?by=channel&since=24h');
  const byUser = await callCost(b, '/admin/stats?by=user&since=24h');
  const chart = await callCost(b, '/admin/stats/concurrency?since=6h&step=300');
  const polled = await underLoad(b, PAGE_POLLS);
  const statsOff = await underLoad(b, STATS_OFF_POLLS);
  await b.close();
  return [
    `11. ${live.toLocaleString('en')} live sessions, stats: {store: off}: by=channel ${ms(byChannel)}, by=user ${ms(byUser)}, concurrency ${ms(chart)} (median of ${CALLS})`,
    loadRow('checks while the page polls back to back without its statistics', polled),
    loadRow('checks while the page polls back to back with stats: {store: off}', statsOff),
  ];
}

export async function sessionListing(): Promise<Section> {
  const lines: string[] = [];
  for (const live of SIZES) {
    const b = await bed(live);
    const limited = await callCost(b, '/admin/sessions?limit=1000');
    const nobody = await callCost(b, '/admin/sessions?user=nobody&limit=1000');
    const whole = await callCost(b, '/admin/sessions');
    const quiet = await underLoad(b, []);
    const polled = await underLoad(b, PAGE_POLLS);
    const wholeAsked = await underLoad(b, ['/admin/sessions']);
    const statsOff = await underLoad(b, STATS_OFF_POLLS);
    await b.close();
    lines.push(
      `11. ${live.toLocaleString('en')} live sessions, in process: /admin/sessions?limit=1000 ${ms(limited)}, ?user=nobody&limit=1000 ${ms(nobody)}, whole list ${ms(whole)} (median of ${CALLS})`,
      loadRow('checks alone', quiet),
      loadRow('checks while the page polls back to back', polled),
      loadRow('checks while the whole list is asked back to back', wholeAsked),
      loadRow('checks while the page polls back to back with stats: {store: off}', statsOff),
    );
  }
  lines.push(`11. bytes the tracker allocates per check, in process: ${checkBytes()}`);
  return { lines, targets: [] };
}

// `--stats-off`: only the statistics summed from the live sessions, at 100,000.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  console.log(
    (process.argv.includes('--stats-off') ? await statsOffOnly() : (await sessionListing()).lines).join('\n'),
  );
