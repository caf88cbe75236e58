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
import { median, missRound } from './missLoad.js';
import { startBridge, startCountingMiddleware, type Bridge } from './processes.js';
import { BRIDGE_BASE, backendLines } from './settings.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '8' }, misses: { type: 'string', default: '4000' } },
});
if (positionals.length !== 2) throw new Error('two CLI builds to compare, A and B');

const middleware = await startCountingMiddleware();
const bridges: Bridge[] = [];
for (const cli of positionals)
  bridges.push(await startBridge([...BRIDGE_BASE, ...backendLines(middleware.url)], { cli: resolve(cli) }));
const figures: number[][] = [[], []];
// A warm-up round each, not counted.
for (const bridge of bridges) await missRound(bridge, Number(values.misses));
for (let at = 0; at < Number(values.rounds); at++) {
  // ABBA: neither build always goes first.
  const order = at % 2 === 0 ? [0, 1] : [1, 0];
  for (const side of order) figures[side]!.push(await missRound(bridges[side]!, Number(values.misses)));
}
await Promise.all([...bridges.map((bridge) => bridge.stop()), middleware.stop()]);
for (const [side, cli] of positionals.entries())
  console.log(
    `${'AB'[side]} ${cli}: median ${median(figures[side]!).toFixed(1)} µs per miss; rounds ${figures[side]!.map((µs) => µs.toFixed(0)).join(' ')}`,
  );
const ratios = figures[1]!.map((b, at) => b / figures[0]![at]!);
console.log(`B / A per round: median ${median(ratios).toFixed(3)}; ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
