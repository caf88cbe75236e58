/** Load for the miss-path benches: rounds of misses, every request a token of its own, and the CPU they cost. */
import { Pool } from 'undici';
import { cpuSeconds, type Running } from './processes.js';
import { CONNECTIONS, VIEWER } from './settings.js';

let sent = 0;

/** CPU µs per miss of `server` (its own, from /proc) over `count` misses, `CONNECTIONS` at a time; every one must be allowed. */
export async function missRound(server: Running, count: number): Promise<number> {
  const pool = new Pool(server.url, { connections: CONNECTIONS });
  let next = 0;
  let refused = 0;
  const one = async (): Promise<void> => {
    for (; next < count; next++) {
      const answer = await pool.request({ path: `/auth?token=miss-${sent++}`, method: 'GET', headers: VIEWER });
      await answer.body.dump();
      if (answer.statusCode !== 200) refused++;
    }
  };
  const before = cpuSeconds(server.pid)!;
  await Promise.all(Array.from({ length: CONNECTIONS }, one));
  const used = cpuSeconds(server.pid)! - before;
  await pool.close();
  if (refused > 0) throw new Error(`${refused} misses not allowed`);
  return (used * 1e6) / count;
}

export const median = (list: readonly number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
