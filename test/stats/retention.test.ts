import { describe, expect, it } from 'vitest';
import { startRetention } from '../../src/stats/retention.js';
import type { StatsDatabase } from '../../src/stats/types.js';
import { memoryLogger } from '../support/bridge.js';
import { ManualClock } from '../support/manualClock.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** A database that records each deleteBefore and answers it with the next of `answers` (0 once they run out). */
function recordingDatabase(answers: Array<Promise<number>> = []) {
  const asked: number[] = [];
  const database = {
    deleteBefore: (before: number) => {
      asked.push(before);
      return answers.shift() ?? Promise.resolve(0);
    },
  } as Pick<StatsDatabase, 'deleteBefore'> as StatsDatabase;
  return { database, asked };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('startRetention', () => {
  it('deletes what is older than keepDays at once, then every hour, measured on the clock', async () => {
    const clock = new ManualClock();
    const { database, asked } = recordingDatabase();
    const stop = startRetention(database, 30, clock, memoryLogger([]));
    const started = clock.now();
    expect(asked).toEqual([started - 30 * DAY_MS]);
    await settled();

    clock.advance(HOUR_MS - 1);
    expect(asked).toHaveLength(1);
    clock.advance(1);
    expect(asked).toEqual([started - 30 * DAY_MS, started + HOUR_MS - 30 * DAY_MS]);
    stop();
  });

  it('logs how many sessions it deleted, and nothing when there were none', async () => {
    const lines: string[] = [];
    const clock = new ManualClock();
    const { database } = recordingDatabase([Promise.resolve(0), Promise.resolve(12)]);
    const stop = startRetention(database, 7, clock, memoryLogger(lines));
    await settled();
    expect(lines).toEqual([]);

    clock.advance(HOUR_MS);
    await settled();
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { level: 'info', message: 'old viewing sessions deleted', deleted: 12, keepDays: 7 },
    ]);
    stop();
  });

  it('never runs two deletes at once: an hour that finds the last one still going skips', async () => {
    const clock = new ManualClock();
    let finish!: (deleted: number) => void;
    const slow = new Promise<number>((resolve) => (finish = resolve));
    const { database, asked } = recordingDatabase([slow]);
    const stop = startRetention(database, 1, clock, memoryLogger([]));
    clock.advance(2 * HOUR_MS);
    expect(asked).toHaveLength(1);

    finish(0);
    await settled();
    clock.advance(HOUR_MS);
    expect(asked).toHaveLength(2);
    stop();
  });

  it('keeps going after a failed delete, which it logs at debug only (the writer reports the database)', async () => {
    const lines: string[] = [];
    const clock = new ManualClock();
    const { database, asked } = recordingDatabase([Promise.reject(new Error('database is locked'))]);
    const stop = startRetention(database, 1, clock, memoryLogger(lines));
    await settled();
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { level: 'debug', message: 'statistics retention failed', error: 'database is locked' },
    ]);

    clock.advance(HOUR_MS);
    expect(asked).toHaveLength(2);
    stop();
  });

  it('asks nothing more once stopped', async () => {
    const clock = new ManualClock();
    const { database, asked } = recordingDatabase();
    startRetention(database, 1, clock, memoryLogger([]))();
    await settled();
    clock.advance(10 * HOUR_MS);
    expect(asked).toHaveLength(1);
  });
});
