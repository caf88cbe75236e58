/**
 * `npx tsx bench/cachedKey.ts [viewers] [checks] [pairs]`: what a cached hit's key costs in process
 * (src/pipeline/cacheKey.ts and the channel read it shares, src/viewer.ts), ns per check, the
 * bench's Cesbo viewer keyed by the default parts of an `http` backend. Every check gets a viewer
 * of its own strings, as Node makes them per request (none has its hash computed yet), made before
 * the timed loop; `viewers` distinct tokens come round in turn. BASE_ROOT: another checkout's
 * sources, timed in turns with this one, pair by pair, for a before/after.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CacheKeyPart } from '../src/config/schema.js';
import type { ViewerRequest } from '../src/viewer.js';
import { median } from './rounds.js';

const VIEWERS = Number(process.argv[2] ?? 1000);
const CHECKS = Number(process.argv[3] ?? 200_000);
const PAIRS = Number(process.argv[4] ?? 7);

type Modules = {
  readonly decisionKeyOf: (parts: readonly CacheKeyPart[]) => (route: string, viewer: ViewerRequest) => string;
  readonly defaultKeyParts: (backends: readonly { type: 'http' }[]) => readonly CacheKeyPart[];
  readonly channelFromPath: (path: string | undefined) => string | undefined;
};

async function load(root: string): Promise<Modules> {
  const key = await import(join(root, 'src/pipeline/cacheKey.ts'));
  const viewer = await import(join(root, 'src/viewer.ts'));
  return { ...key, channelFromPath: viewer.channelFromPath };
}

/** A copy of `text` no other string shares: its hash not computed yet, as a header value's is not. */
const fresh = (text: string) => Buffer.from(text, 'latin1').toString('latin1');

/** The checks' viewers as the Cesbo reader makes them, the channel read from the path as it reads it. */
function viewers(modules: Modules): ViewerRequest[] {
  return Array.from({ length: CHECKS }, (_, i) => {
    const path = fresh('/tv/a001/index.m3u8');
    const rawQuery = fresh(`token=viewer-${i % VIEWERS}`);
    return {
      dialect: 'cesbo',
      ip: fresh('203.0.113.7'),
      channel: modules.channelFromPath(path),
      path,
      session: fresh('1'),
      rawQuery,
      token: rawQuery.slice(6),
    };
  });
}

/** ns per check over every viewer, after one pass of warm-up. */
function time(modules: Modules): number {
  const keyOf = modules.decisionKeyOf(modules.defaultKeyParts([{ type: 'http' }]));
  const warm = viewers(modules);
  for (const viewer of warm) keyOf('default', viewer);
  const checks = viewers(modules);
  let length = 0;
  const started = performance.now();
  for (const viewer of checks) length += keyOf('default', viewer).length;
  const ns = ((performance.now() - started) * 1e6) / CHECKS;
  if (length === 0) throw new Error('no keys');
  return ns;
}

const sides: [string, Modules][] = [['this checkout', await load(join(import.meta.dirname, '..'))]];
if (process.env.BASE_ROOT) sides.push(['BASE_ROOT', await load(process.env.BASE_ROOT)]);
const times = new Map<string, number[]>(sides.map(([name]) => [name, []]));
for (let pair = 0; pair < PAIRS; pair++) {
  const order = pair % 2 === 0 ? sides : [...sides].reverse();
  for (const [name, modules] of order) times.get(name)!.push(time(modules));
}
for (const [name, ns] of times)
  process.stdout.write(
    `${name}: ${median(ns).toFixed(0)} ns a check (median of ${PAIRS}; ${ns.map((n) => n.toFixed(0)).join(', ')})\n`,
  );
