import { setTimeout as pause } from 'node:timers/promises';
import { Pool } from 'undici';
import { fuzzCases, seededRandom } from './fuzzCases.js';
import { rawExchange } from './rawExchange.js';

/** What the load has seen so far; read at every sample. */
export interface SoakCounts {
  cached: number;
  misses: number;
  denies: number;
  bad: number;
  serverErrors: number;
  resets: number;
  hangs: number;
}

const HANG_MS = 3000;
/** A distinct-token pool for misses: large enough to keep missing, small enough that the cache reaches a steady size. */
const MISS_TOKENS = 50_000;
const VIEWER_IPS = 20;

/**
 * Mixed load at a steady `rate` (requests per second, on at most
 * `connections` concurrent loops) until `until()` says stop or `maxRequests`
 * have been sent. A steady rate, not as fast as possible: on a shared machine
 * the achievable rate swings, and memory that follows the rate would look
 * like a leak. Half cached allows, a quarter misses the
 * replayed middleware answers (denied, then cached), a tenth denies, the rest
 * hostile raw requests from the fuzz generator.
 */
/** How many sessions one viewer IP holds at once (several devices, a reconnect). */
const SESSIONS_PER_VIEWER = 20;

export function startSoakLoad(
  port: number,
  {
    connections,
    rate,
    seed,
    until,
    maxRequests,
  }: { connections: number; rate: number; seed: number; until: () => boolean; maxRequests: number },
) {
  const origin = `http://127.0.0.1:${port}`;
  const pool = new Pool(origin, { connections, headersTimeout: HANG_MS, bodyTimeout: HANG_MS });
  const random = seededRandom(seed);
  const hostile = fuzzCases(Number.MAX_SAFE_INTEGER, seed);
  const counts: SoakCounts = { cached: 0, misses: 0, denies: 0, bad: 0, serverErrors: 0, resets: 0, hangs: 0 };
  let sent = 0;
  const started = performance.now();

  const check = async (token: string) => {
    const viewer = Math.floor(random() * VIEWER_IPS);
    const ip = `203.0.113.${1 + viewer}`;
    // A steady population of viewers, each watching in its own streaming-server session, as a real
    // audience does: a fresh session id per check would grow the live-session table to its cap
    // (stats.maxLiveSessions, sessions.idleTtl), which is its bound, not a leak.
    const session = `s${viewer}-${Math.floor(random() * SESSIONS_PER_VIEWER)}`;
    try {
      const { statusCode, body } = await pool.request({
        method: 'GET',
        path: `/auth?token=${token}`,
        headers: { 'x-real-ip': ip, 'x-real-path': '/play/a001/index.m3u8', 'x-session-id': session },
      });
      await body.dump();
      if (statusCode >= 500) counts.serverErrors += 1;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code.includes('TIMEOUT')) counts.hangs += 1;
      else counts.resets += 1;
    }
  };

  const loop = async () => {
    while (!until() && sent < maxRequests) {
      const due = started + (sent * 1000) / rate - performance.now();
      sent += 1;
      if (due > 0) await pause(due);
      const roll = random();
      if (roll < 0.5) {
        counts.cached += 1;
        await check('good');
      } else if (roll < 0.75) {
        counts.misses += 1;
        await check(`miss-${Math.floor(random() * MISS_TOKENS)}`);
      } else if (roll < 0.85) {
        counts.denies += 1;
        await check('bad');
      } else {
        counts.bad += 1;
        const outcome = await rawExchange(port, hostile.next().value!.request, { hangMs: HANG_MS });
        if (outcome.reset) counts.resets += 1;
        if (outcome.hung) counts.hangs += 1;
        if (outcome.statuses.some((status) => status >= 500)) counts.serverErrors += 1;
      }
    }
  };

  const done = Promise.all(Array.from({ length: connections }, loop)).then(() => pool.close());
  return { counts, done, sent: () => sent };
}
