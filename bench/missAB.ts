/**
 * CPU per cache miss of two bridge builds, side by side: both run at once,
 * each on the server core, and take turns at rounds of misses (every request
 * a token of its own, 32 at a time), so a busy machine's drift weighs on both
 * alike. CPU is each process's own (/proc), per miss answered.
 *
 *   npx tsx bench/missAB.ts A/dist/cli.js B/dist/cli.js [--rounds 8] [--misses 4000]
 *
 * A build elsewhere than the repository needs the package.json beside its
 * dist/ (the CLI finds its root by it) and node_modules.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { cpuSeconds, startBridge, startCountingMiddleware, type Bridge } from './processes.js';
import { BRIDGE_BASE, backendLines, CONNECTIONS, VIEWER } from './settings.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '8' }, misses: { type: 'string', default: '4000' } },
});
if (positionals.length !== 2) throw new Error('two CLI builds to compare, A and B');

const middleware = await startCountingMiddleware();
const bridges: Bridge[] = [];
for (const cli of positionals)
  bridges.push(await startBridge([...BRIDGE_BASE, ...backendLines(middleware.url)], { cli: resolve(cli) }));
let sent = 0;

/** CPU µs per miss of `bridge` over `count` misses, `CONNECTIONS` at a time. */
async function round(bridge: Bridge, count: number): Promise<number> {
  const pool = new Pool(bridge.url, { connections: CONNECTIONS });
  let next = 0;
  let refused = 0;
  const one = async (): Promise<void> => {
    for (; next < count; next++) {
      const answer = await pool.request({ path: `/auth?token=ab-${sent++}`, method: 'GET', headers: VIEWER });
      await answer.body.dump();
      if (answer.statusCode !== 200) refused++;
    }
  };
  const before = cpuSeconds(bridge.pid)!;
  await Promise.all(Array.from({ length: CONNECTIONS }, one));
  const used = cpuSeconds(bridge.pid)! - before;
  await pool.close();
  if (refused > 0) throw new Error(`${refused} misses not allowed`);
  return (used * 1e6) / count;
}

const median = (list: readonly number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
const figures: number[][] = [[], []];
// A warm-up round each, not counted.
for (const bridge of bridges) await round(bridge, Number(values.misses));
for (let at = 0; at < Number(values.rounds); at++) {
  // ABBA: neither build always goes first.
  const order = at % 2 === 0 ? [0, 1] : [1, 0];
  for (const side of order) figures[side]!.push(await round(bridges[side]!, Number(values.misses)));
}
await Promise.all([...bridges.map((bridge) => bridge.stop()), middleware.stop()]);
for (const [side, cli] of positionals.entries())
  console.log(
    `${'AB'[side]} ${cli}: median ${median(figures[side]!).toFixed(1)} µs per miss; rounds ${figures[side]!.map((µs) => µs.toFixed(0)).join(' ')}`,
  );
const ratios = figures[1]!.map((b, at) => b / figures[0]![at]!);
console.log(`B / A per round: median ${median(ratios).toFixed(3)}; ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
