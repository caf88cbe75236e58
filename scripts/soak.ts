/**
 * `npm run soak -- --minutes N [--rate 300] [--every 10] [--connections 16] [--seed 1]`: a steady
 * mixed load (cached
 * allows, misses against a replayed middleware, denies, hostile raw requests) against a real
 * bridge process (dist/cli.js). Every `--every` seconds it prints the load's counts and the bridge's
 * RSS, live heap (after a full GC), open sockets and event-loop delay; at the end, whether memory is bounded. The heap and
 * the event-loop delay are read through the bridge's inspector (`--inspect` on a loopback port,
 * given by NODE_OPTIONS): no code for them runs in the bridge. Exits 1 on any 5xx, reset, hang,
 * crash or stray error line, or when memory is not bounded.
 */
import { parseArgs } from 'node:util';
import { setTimeout as pause } from 'node:timers/promises';
import { startBridgeUnderTest } from './hostile/bridgeUnderTest.js';
import { connectInspector } from './hostile/inspectorProbe.js';
import { startSoakLoad } from './hostile/soakLoad.js';
import { memoryVerdict, type SoakSample } from './hostile/soakVerdict.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    every: { type: 'string', default: '10' },
    rate: { type: 'string', default: '300' },
    connections: { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
  },
});
const minutes = Number(values.minutes);
const every = Number(values.every);
const connections = Number(values.connections);
const rate = Number(values.rate);
if (!(minutes > 0) || !(every > 0) || !(rate > 0) || !Number.isInteger(connections) || connections < 1) {
  console.error(
    'usage: npm run soak -- --minutes N [--rate REQUESTS_PER_SECOND] [--every SECONDS] [--connections C] [--seed S]',
  );
  process.exit(2);
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)}`;
const bridge = await startBridgeUnderTest({ env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' } });
if (bridge.inspectorUrl === undefined) throw new Error('the bridge did not print its inspector address');
const inspector = await connectInspector(bridge.inspectorUrl);
let crashed = false;
bridge.child.once('exit', () => (crashed = true));
await inspector.sample(); // starts the event-loop delay histogram

const started = performance.now();
const endAt = started + minutes * 60_000;
const load = startSoakLoad(bridge.port, {
  connections,
  rate,
  seed: Number(values.seed),
  until: () => crashed || performance.now() >= endAt,
  maxRequests: 50_000_000,
});
const samples: SoakSample[] = [];
let previousSent = 0;
let previousAt = started;
console.log(
  '   time   req/s  cached  misses  denies     bad  5xx reset hang   RSS MiB  live heap MiB  sockets  loop p99 ms  loop max ms',
);
while (!crashed && performance.now() < endAt) {
  await pause(Math.min(every * 1000, Math.max(0, endAt - performance.now())));
  if (crashed) break;
  const { rssBytes, heapUsedBytes, loopDelayP99Ms, loopDelayMaxMs } = await inspector.sample();
  const sample: SoakSample = {
    atSeconds: (performance.now() - started) / 1000,
    rssBytes,
    heapUsedBytes,
    sockets: bridge.openSockets(),
    loopDelayP99Ms,
    loopDelayMaxMs,
  };
  samples.push(sample);
  const sent = load.sent();
  const now = performance.now();
  const rate = (sent - previousSent) / ((now - previousAt) / 1000);
  previousSent = sent;
  previousAt = now;
  const c = load.counts;
  console.log(
    `${sample.atSeconds.toFixed(0).padStart(6)} s ${rate.toFixed(0).padStart(7)} ${String(c.cached).padStart(7)} ${String(c.misses).padStart(7)} ${String(c.denies).padStart(7)} ${String(c.bad).padStart(7)} ${String(c.serverErrors).padStart(4)} ${String(c.resets).padStart(5)} ${String(c.hangs).padStart(4)} ${mib(rssBytes).padStart(9)} ${mib(heapUsedBytes).padStart(14)} ${String(sample.sockets ?? 'n/a').padStart(8)} ${loopDelayP99Ms.toFixed(1).padStart(12)} ${loopDelayMaxMs.toFixed(1).padStart(12)}`,
  );
}
await load.done;
inspector.close();
const strayErrors = bridge.strayErrors();
const crashedDuringRun = crashed;
const exitCode = crashedDuringRun ? null : await bridge.stop();
const verdict = memoryVerdict(samples);
const c = load.counts;
console.log(
  `soak: ${minutes} min at ${rate} requests/s offered, ${load.sent()} requests (${c.cached} cached, ${c.misses} misses, ${c.denies} denies, ${c.bad} hostile)`,
);
console.log(
  `  5xx ${c.serverErrors}, resets ${c.resets}, hangs over 3 s ${c.hangs}, crashes ${crashedDuringRun || exitCode !== 0 ? 1 : 0} (exit ${exitCode}), stray error lines ${strayErrors.length}`,
);
for (const line of strayErrors.slice(0, 5)) console.log(`  ! ${line}`);
console.log(`  memory ${verdict.bounded ? 'bounded' : 'NOT bounded'}: ${verdict.detail}`);
const failed =
  c.serverErrors + c.resets + c.hangs + strayErrors.length > 0 ||
  crashedDuringRun ||
  exitCode !== 0 ||
  !verdict.bounded;
console.log(failed ? 'verdict: FAIL' : 'verdict: pass');
process.exit(failed ? 1 : 0);
