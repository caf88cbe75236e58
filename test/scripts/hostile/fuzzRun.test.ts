import { describe, expect, it } from 'vitest';
import { fuzzFailed, runFuzz } from '../../../scripts/hostile/fuzzRun.js';

// A few hundred of `npm run fuzz`'s cases, against the built CLI: the full 10,000 run with `npm run fuzz`.
describe('runFuzz', () => {
  it('300 seeded hostile requests: no 5xx, reset, hang, silent close, crash or stray error', {
    timeout: 60_000,
  }, async () => {
    const report = await runFuzz({ count: 300, seed: 20261201, concurrency: 8 });
    expect({
      cases: report.cases,
      serverErrors: report.serverErrors,
      resets: report.resets,
      hangs: report.hangs,
      unanswered: report.unanswered,
      crashes: report.crashes,
      strayErrors: report.strayErrors,
      failures: report.failures,
    }).toEqual({
      cases: 300,
      serverErrors: 0,
      resets: 0,
      hangs: 0,
      unanswered: 0,
      crashes: 0,
      strayErrors: [],
      failures: [],
    });
    expect(Object.keys(report.byKind).length).toBeGreaterThan(10);
    expect(fuzzFailed(report)).toBe(false);
  });

  it('fails the verdict on a crash, on memory kept past the limits, and without a settled measurement', () => {
    const kept = (rssBytes: number, heapUsedBytes: number) => ({
      start: { rssBytes: 0, heapUsedBytes: 0 },
      end: { rssBytes, heapUsedBytes },
    });
    const clean = { ...cleanReport(), rssStartBytes: 1, rssEndBytes: 1, settled: kept(0, 0) };
    expect(fuzzFailed(clean)).toBe(false);
    expect(fuzzFailed({ ...clean, crashes: 1 })).toBe(true);
    expect(fuzzFailed({ ...clean, settled: kept(33 * 1048576, 0) })).toBe(true);
    expect(fuzzFailed({ ...clean, settled: kept(0, 9 * 1048576) })).toBe(true);
    expect(fuzzFailed({ ...clean, settled: undefined })).toBe(true);
    // RSS read between cases is V8's sizing of its heap: not judged.
    expect(fuzzFailed({ ...clean, rssStartBytes: 0, rssEndBytes: 200 * 1048576 })).toBe(false);
  });
});

function cleanReport() {
  return {
    cases: 1,
    seed: 1,
    byKind: {},
    statuses: {},
    serverErrors: 0,
    resets: 0,
    hangs: 0,
    unanswered: 0,
    crashes: 0,
    strayErrors: [],
    failures: [],
    seconds: 0,
  };
}
