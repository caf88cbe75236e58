/**
 * An HLS-like workload: viewers watch channels of Zipf popularity, their
 * players re-fetch the playlist every few seconds (each fetch a check the
 * streaming server sends), and now and then they zap to another channel.
 */
import { Pool } from 'undici';

export interface HlsWorkload {
  readonly viewers: number;
  readonly channels: number;
  readonly checks: number;
  /** Chance that a viewer's next check is on a newly chosen channel. */
  readonly zapProbability: number;
}

/** Deterministic, so both bridges see the same sequence. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function zipf(n: number, next: () => number): () => number {
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  const cumulative = weights.map((w) => (sum += w / total));
  return () => {
    const r = next();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Players' user agents: each viewer keeps one, as a real player does (it is part of the default cache key). */
const PLAYERS = [
  'VLC/3.0.20 LibVLC/3.0.20',
  'Lavf/60.16.100',
  'Kodi/20.2 (Linux; Android 11)',
  'Mozilla/5.0 (SMART-TV)',
];

/** The request paths and headers of the workload, in order. */
function* hlsChecks(workload: HlsWorkload): Generator<{ path: string; headers: Record<string, string> }> {
  const next = random(42);
  const channel = zipf(workload.channels, next);
  const watching = Array.from({ length: workload.viewers }, () => channel());
  for (let i = 0; i < workload.checks; i++) {
    const viewer = Math.floor(next() * workload.viewers);
    if (next() < workload.zapProbability) watching[viewer] = channel();
    const ch = `ch${String(watching[viewer]).padStart(3, '0')}`;
    yield {
      path: `/auth?token=viewer-${viewer}-token`,
      headers: {
        'x-real-ip': `10.${(viewer >> 16) & 255}.${(viewer >> 8) & 255}.${viewer & 255}`,
        'x-real-path': `/${ch}/index.m3u8`,
        'x-session-id': String(viewer),
        'x-real-ua': PLAYERS[viewer % PLAYERS.length]!,
      },
    };
  }
}

export interface Driven {
  readonly statuses: Map<number, number>;
  /** Checks sent: all of the workload's, or fewer when the deadline came first. */
  readonly checks: number;
}

/**
 * Sends the checks of the workload in order with `concurrency` in flight,
 * until all are sent or `deadline` (a Date.now() value) has passed.
 */
export async function drive(
  url: string,
  workload: HlsWorkload,
  deadline = Infinity,
  concurrency = 64,
): Promise<Driven> {
  const pool = new Pool(url, { connections: concurrency });
  const statuses = new Map<number, number>();
  const checks = hlsChecks(workload);
  let sent = 0;
  const worker = async () => {
    for (let item = checks.next(); !item.done && Date.now() < deadline; item = checks.next()) {
      sent++;
      const { statusCode, body } = await pool.request({ method: 'GET', ...item.value });
      await body.dump();
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
  return { statuses, checks: sent };
}
