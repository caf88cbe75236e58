/**
 * `npx tsx bench/missAllocations.ts [misses] [windows] [sampled]`: bytes allocated per cache miss in
 * the bridge process (every request a token of its own), as bench/allocations.ts counts them per
 * hit: each bridge runs from its sources with bench/allocationProbe.ts loaded and a young
 * generation that holds a window's misses; the heap in use after a full collection, then after the
 * window, over the window's misses, is what one miss allocates (a window in which a collection ran
 * is dropped). Then a sampling heap profile of `sampled` misses says who allocated it, by file and
 * function. BASE_ROOT: other checkouts (comma-separated, each with node_modules) measured beside
 * this one, windows in turns.
 */
import { join } from 'node:path';
import { byFile, type Components } from './allocationComponents.js';
import { missRound } from './missLoad.js';
import { type Bridge, startBridge, startCountingMiddleware } from './processes.js';
import { median } from './rounds.js';
import { BRIDGE_BASE } from './settings.js';

const MISSES = Number(process.argv[2] ?? 2000);
const WINDOWS = Number(process.argv[3] ?? 7);
const SAMPLED = Number(process.argv[4] ?? 20_000);
const WARM_UP = Number(process.env.WARM_UP ?? 20_000);
const ROOTS = [join(import.meta.dirname, '..'), ...(process.env.BASE_ROOT ?? '').split(',').filter(Boolean)];
const NODE_FLAGS = [
  '--expose-gc',
  '--min-semi-space-size=64',
  '--max-semi-space-size=64',
  '--import',
  import.meta.resolve('tsx'),
  '--import',
  join(import.meta.dirname, 'allocationProbe.ts'),
];

interface Mark {
  readonly used: number;
  readonly collected: number;
  readonly after: number;
}

function ask<T>(bridge: Bridge, message: object): Promise<T> {
  return new Promise((resolve) => {
    bridge.process.once('message', (reply) => resolve(reply as T));
    bridge.process.send(message);
  });
}

const middleware = await startCountingMiddleware();
// Budgets long enough that a busy machine never turns a miss into a timeout (it would allocate otherwise).
const lines = [
  ...BRIDGE_BASE,
  'backends:',
  `  mw: {type: http, url: "${middleware.url}/check", timeoutMs: 30000}`,
  'routes:',
  '  default: {backends: [mw], timeoutMs: 30000}',
];
const bridges: Bridge[] = [];
for (const root of ROOTS) {
  const bridge = await startBridge(lines, { cli: join(root, 'src', 'cli.ts'), nodeFlags: NODE_FLAGS, ipc: true });
  await missRound(bridge, WARM_UP);
  bridges.push(bridge);
}
const bytes: number[][] = bridges.map(() => []);
const dropped = bridges.map(() => 0);
for (let round = 0; round < WINDOWS; round++)
  for (let i = 0; i < bridges.length; i++) {
    const at = (i + round) % bridges.length;
    const before = await ask<Mark>(bridges[at]!, { kind: 'mark' });
    await missRound(bridges[at]!, MISSES);
    const after = await ask<Mark>(bridges[at]!, { kind: 'mark' });
    if (after.collected > 0) dropped[at]!++;
    else bytes[at]!.push((after.used - before.after) / MISSES);
  }
const report = [`medians of ${WINDOWS} windows of ${MISSES} misses:`];
for (const [at, root] of ROOTS.entries())
  report.push(
    `  ${root}: ${median(bytes[at]!).toFixed(0)} B/miss (${dropped[at]} window(s) with a collection dropped)`,
  );
for (const [at, root] of ROOTS.entries()) {
  await ask(bridges[at]!, { kind: 'sample', intervalBytes: 256 });
  await missRound(bridges[at]!, SAMPLED);
  const profile = await ask<{ components: Components; detail: Components }>(bridges[at]!, { kind: 'sampled' });
  const perMiss = profile.components.map(([name, sampled]) => [name, sampled / SAMPLED] as const);
  const total = perMiss.reduce((sum, [, sampled]) => sum + sampled, 0);
  report.push('', `${root}: sampled, ${total.toFixed(0)} B/miss over ${SAMPLED} misses; by file:`);
  for (const [file, sampled] of byFile(perMiss).slice(0, 14))
    report.push(`  ${sampled.toFixed(0).padStart(6)}  ${file}`);
  report.push('  by function (the nearest of the project on the stack, else the node internal):');
  for (const [name, sampled] of perMiss.slice(0, 30)) report.push(`  ${sampled.toFixed(0).padStart(6)}  ${name}`);
  report.push("  what node and V8 allocated under the project's functions:");
  for (const [name, sampled] of profile.detail.filter(([component]) => component.includes(' > ')).slice(0, 25))
    report.push(`  ${(sampled / SAMPLED).toFixed(0).padStart(6)}  ${name}`);
}
await Promise.all([...bridges.map((bridge) => bridge.stop()), middleware.stop()]);
process.stdout.write(`${report.join('\n')}\n`);
