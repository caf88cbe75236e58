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

  it('fails the verdict on a crash, and on RSS growth past the limit', () => {
    expect(
      fuzzFailed({
        cases: 1,
        seed: 1,
        byKind: {},
        statuses: {},
        serverErrors: 0,
        resets: 0,
        hangs: 0,
        unanswered: 0,
        crashes: 1,
        strayErrors: [],
        rssStartBytes: 1,
        rssEndBytes: 1,
        failures: [],
        seconds: 0,
      }),
    ).toBe(true);
    expect(
      fuzzFailed({
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
        rssStartBytes: 0,
        rssEndBytes: 200 * 1048576,
        failures: [],
        seconds: 0,
      }),
    ).toBe(true);
  });
});
