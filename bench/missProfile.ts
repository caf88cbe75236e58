/**
 * Where a cache miss's CPU goes, the bridge beside the minimal undici proxy (the table of
 * docs/performance/miss-path.md). First the CPU per miss of both without a profiler, in
 * alternated rounds; then one run of each under `--cpu-prof`, every sample of the main thread
 * given to the nearest frame of its stack that is in `src/` or a package (read through the
 * bundle's source maps), so Node's own code counts for whoever called it; the write syscalls,
 * V8's `(program)`, GC and the microtask queue are counted apart. A row's µs are its share of
 * the profile times the unprofiled median: the profiler slows deep stacks more than shallow ones.
 *
 *   npm run build && npx tsx bench/missProfile.ts [--rounds 6] [--misses 20000] [--profiled 40000]
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, missRound } from './missLoad.js';
import { type Running, startBridge, startCountingMiddleware, startMinimalProxy } from './processes.js';
import { BRIDGE_BASE, backendLines } from './settings.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    misses: { type: 'string', default: '20000' },
    profiled: { type: 'string', default: '40000' },
  },
});
const WARM_UP = 4000;

/** The table's rows, by the owner a sample was given to; the first that matches takes it. */
const ROWS: readonly (readonly [string, RegExp])[] = [
  ['write syscalls', /^syscall write$/],
  ['GC', /^GC$/],
  ["V8's (program)", /^program$/],
  ['microtask queue', /^microtask machinery$|task_queues/],
  ['timers', /internal\/timers/],
  ['undici: HTTP/1 client, parser, socket', /undici\/lib\/dispatcher\/client/],
  ['undici: dispatch, request, headers object', /undici\/(index|lib\/(dispatcher|core|handler))/],
  ['undici: body stream, dump, the rest', /undici/],
  ['head scanner', /src\/adapters\/(answerHead|headBytes|boundedSocket)/],
  ['answer read and verdict (with the Cesbo writer)', /src\/adapters|src\/protocols\/(cesbo|outbound)/],
  ['breaker, coalescer, steps, budget, pipeline', /src\/resilience|src\/pipeline\/(?!cacheKey|steps\/cache)/],
  ['cache key, cache step, store', /cacheKey|steps\/cache|src\/store|src\/memo|src\/secrets/],
  ['log', /src\/log|stdoutBatch/],
  ['metrics', /src\/metrics|prom-client|src\/observe/],
  ['sessions', /src\/sessions/],
  ['decision handler, routing, reading the viewer', /src\/(server|protocols|viewer)/],
  ['module loading', /node:internal\/(modules|bootstrap)/],
  ['viewer side: node:http, streams, events', /^node:/],
];
const NATIVE: Readonly<Record<string, string>> = {
  '(garbage collector)': 'GC',
  '(program)': 'program',
  '(idle)': 'idle',
  runMicrotasks: 'microtask machinery',
  writev: 'syscall write',
  writeLatin1String: 'syscall write',
  writeUtf8String: 'syscall write',
  writeBuffer: 'syscall write',
};

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; lineNumber: number; columnNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const maps = new Map<string, SourceMap | undefined>();
function sourceMapOf(url: string): SourceMap | undefined {
  if (!maps.has(url)) {
    let map: SourceMap | undefined;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8')));
    } catch {
      map = undefined;
    }
    maps.set(url, map);
  }
  return maps.get(url);
}

/** `src/...`, `nm:package/...` (undici by file), `node:module`, or undefined for a native frame. */
function sourceOf({ callFrame: frame }: ProfileNode): string | undefined {
  if (frame.url === '') return undefined;
  if (!frame.url.startsWith('file:')) return frame.url.startsWith('node:') ? frame.url : `node:${frame.url}`;
  const entry = sourceMapOf(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber);
  const source = entry !== undefined && 'originalSource' in entry ? entry.originalSource : frame.url;
  const inPackage = /node_modules\/(.*)$/.exec(source);
  if (inPackage) return `nm:${inPackage[1]!.startsWith('undici/') ? inPackage[1] : inPackage[1]!.split('/')[0]}`;
  return /(src\/.*)$/.exec(source)?.[1] ?? source;
}

/** Share of the busy samples of the main thread's profile in `folder`, by row. */
function shares(folder: string): Map<string, number> {
  // CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main thread.
  const file = readdirSync(folder).find((name) => name.split('.')[4] === '0')!;
  const profile = JSON.parse(readFileSync(join(folder, file), 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const rows = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, at) => {
    const leaf = byId.get(id)!;
    let owner: string | undefined = NATIVE[leaf.callFrame.functionName];
    if (owner === 'idle') return;
    for (let up: number | undefined = id; owner === undefined && up !== undefined; up = parent.get(up)) {
      const source = sourceOf(byId.get(up)!);
      if (source?.startsWith('src/') || source?.startsWith('nm:')) owner = source;
    }
    const named = owner ?? sourceOf(leaf) ?? 'native';
    const row = ROWS.find(([, pattern]) => pattern.test(named))?.[0] ?? 'other';
    const time = profile.timeDeltas[at] ?? 0;
    rows.set(row, (rows.get(row) ?? 0) + time);
    busy += time;
  });
  for (const [row, time] of rows) rows.set(row, time / busy);
  return rows;
}

const middleware = await startCountingMiddleware();
const bridgeLines = [...BRIDGE_BASE, ...backendLines(middleware.url)];
const sides = {
  bridge: (nodeFlags: readonly string[]) => startBridge(bridgeLines, { nodeFlags }),
  proxy: (nodeFlags: readonly string[]) => startMinimalProxy(middleware.url, nodeFlags),
};
type Side = keyof typeof sides;

/** CPU µs per miss of one fresh server over `count` misses, after a warm-up. */
async function run(side: Side, count: number, nodeFlags: readonly string[] = []): Promise<number> {
  const server: Running = await sides[side](nodeFlags);
  await missRound(server, WARM_UP);
  const micros = await missRound(server, count);
  await server.stop();
  return micros;
}

const unprofiled: Record<Side, number[]> = { bridge: [], proxy: [] };
for (let at = 0; at < Number(values.rounds); at++)
  for (const side of (at % 2 === 0 ? ['proxy', 'bridge'] : ['bridge', 'proxy']) as Side[])
    unprofiled[side].push(await run(side, Number(values.misses)));
const profiles: Record<Side, Map<string, number>> = { bridge: new Map(), proxy: new Map() };
for (const side of ['proxy', 'bridge'] as Side[]) {
  const folder = mkdtempSync(join(tmpdir(), `miss-profile-${side}-`));
  const micros = await run(side, Number(values.profiled), [
    '--cpu-prof',
    `--cpu-prof-dir=${folder}`,
    '--cpu-prof-interval=200',
  ]);
  console.log(`${side} profiled: ${micros.toFixed(1)} µs per miss (${folder})`);
  profiles[side] = shares(folder);
}
await middleware.stop();

for (const side of ['bridge', 'proxy'] as Side[])
  console.log(
    `${side} unprofiled: median ${median(unprofiled[side]).toFixed(1)} µs per miss; rounds ${unprofiled[side].map((µs) => µs.toFixed(1)).join(' ')}`,
  );
const cell = (side: Side, row: string) => {
  const share = profiles[side].get(row);
  return share === undefined
    ? '— | —'
    : `${(share * 100).toFixed(1)} | ${(share * median(unprofiled[side])).toFixed(1)}`;
};
console.log('\n| Where | bridge % | bridge µs | proxy % | proxy µs |\n|---|---:|---:|---:|---:|');
for (const row of [...ROWS.map(([name]) => name), 'other'])
  console.log(`| ${row} | ${cell('bridge', row)} | ${cell('proxy', row)} |`);
