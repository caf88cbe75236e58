/**
 * `npm run fuzz -- [--cases 10000] [--seed 1] [--concurrency 16]`: seeded hostile requests, as raw
 * bytes on their own connections, against a real bridge process (dist/cli.js) in front of a
 * replayed middleware. Prints the counts of 5xx answers, resets, hangs over 3 s, silent closes,
 * crashes, stray error lines and memory kept (RSS and live heap after full collections); exits 1 on any of them.
 */
import { parseArgs } from 'node:util';
import { fuzzFailed, HEAP_GROWTH_LIMIT, runFuzz, SETTLED_RSS_GROWTH_LIMIT } from './hostile/fuzzRun.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '16' },
  },
});
const count = Number(values.cases);
const seed = Number(values.seed);
const concurrency = Number(values.concurrency);
if (
  !Number.isInteger(count) ||
  count < 1 ||
  !Number.isInteger(seed) ||
  !Number.isInteger(concurrency) ||
  concurrency < 1
) {
  console.error('usage: npm run fuzz -- [--cases N] [--seed S] [--concurrency C] (positive integers)');
  process.exit(2);
}

const mib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 1048576).toFixed(1)} MiB`);
const report = await runFuzz({ count, seed, concurrency, onProgress: (done) => console.log(`  ${done} cases`) });
console.log(`fuzz: ${report.cases} cases, seed ${report.seed}, ${report.seconds.toFixed(1)} s`);
console.log(
  `  kinds     ${Object.entries(report.byKind)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ')}`,
);
console.log(
  `  answers   ${Object.entries(report.statuses)
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ')}`,
);
console.log(
  `  5xx ${report.serverErrors}, resets ${report.resets}, hangs over 3 s ${report.hangs}, silent closes ${report.unanswered}, crashes ${report.crashes}, stray error lines ${report.strayErrors.length}`,
);
const growth = (from: number | undefined, to: number | undefined) =>
  `${mib(from)} -> ${mib(to)} (growth ${from === undefined || to === undefined ? 'n/a' : mib(to - from)}`;
const { start, end } = report.settled ?? {};
console.log(`  RSS between cases ${growth(report.rssStartBytes, report.rssEndBytes)}, not judged: V8 sizing its heap)`);
console.log(
  `  after full collections: RSS ${growth(start?.rssBytes, end?.rssBytes)}, limit ${mib(SETTLED_RSS_GROWTH_LIMIT)}), live heap ${growth(start?.heapUsedBytes, end?.heapUsedBytes)}, limit ${mib(HEAP_GROWTH_LIMIT)})`,
);
for (const line of [...report.failures, ...report.strayErrors.slice(0, 5)]) console.log(`  ! ${line}`);
const failed = fuzzFailed(report);
console.log(failed ? 'verdict: FAIL' : 'verdict: pass');
process.exit(failed ? 1 : 0);
