import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { startStatistics } from '../../src/stats/startStatistics.js';
import { memoryLogger } from '../support/bridge.js';
import { ManualClock } from '../support/manualClock.js';
import { answeredCheck as check } from './support/answeredChecks.js';

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function configFor(stats: Record<string, unknown>) {
  return validateConfig({ stats, routes: { default: { default: 'deny' } } }, 'test config', {});
}

describe('startStatistics', () => {
  it('with store off answers from the live sessions alone', async () => {
    const clock = new ManualClock();
    const statistics = startStatistics({ config: configFor({ store: 'off' }), log: memoryLogger([]), clock });
    statistics.observer.checkAnswered!(check('1', 'news'));
    statistics.observer.checkAnswered!(check('2', 'news', false));
    clock.advance(60_000);
    statistics.observer.checkAnswered!(check('1', 'news'));
    expect(statistics.sessions.liveCount()).toBe(2);
    expect(await statistics.stats.query({ since: new Date(0), grouping: 'channel' })).toEqual([
      { key: 'news', viewers: 1, sessions: 1, watchSeconds: 60, peakConcurrent: 1 },
    ]);
    expect(statistics.state()).toEqual({ store: 'off' });
    await statistics.close();
  });

  it("with SQLite, a stop writes the live sessions' progress and the next start reads it back", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iab-start-'));
    folders.push(dir);
    const config = configFor({ path: join(dir, 'stats.db') });
    const clock = new ManualClock();
    const first = startStatistics({ config, log: memoryLogger([]), clock });
    first.observer.checkAnswered!(check('1', 'news'));
    clock.advance(30_000);
    first.observer.checkAnswered!(check('1', 'news'));
    first.observer.sessionEnded!({
      route: 'default',
      protocol: 'nginx-rtmp',
      caller: '127.0.0.1',
      ip: undefined,
      session: 'unknown',
      reason: 'play_done',
    });
    await first.close();

    const second = startStatistics({ config, log: memoryLogger([]), clock });
    expect(second.sessions.liveCount()).toBe(0);
    expect(await second.stats.query({ since: new Date(0), grouping: 'user' })).toEqual([
      { key: '5', viewers: 1, sessions: 1, watchSeconds: 30, peakConcurrent: 1 },
    ]);
    expect(second.stats.droppedRows()).toBe(0);
    await second.close();
  });

  it("a stop writes every live session's progress, also more of them than stats.queue holds", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iab-start-'));
    folders.push(dir);
    const config = configFor({ path: join(dir, 'stats.db'), queue: 100 });
    const clock = new ManualClock();
    const logs: string[] = [];
    const first = startStatistics({ config, log: memoryLogger(logs), clock });
    const sessions = Array.from({ length: 300 }, (_, n) => String(n));
    // Started a hundred at a time, each hundred written before the next comes: nothing waits past the queue.
    for (let at = 0; at < sessions.length; at += 100) {
      for (const session of sessions.slice(at, at + 100)) first.observer.checkAnswered!(check(session, 'news'));
      await first.flush();
    }
    clock.advance(30_000);
    // Their progress since is the live sessions' to write at the stop, 300 at once.
    for (const session of sessions) first.observer.checkAnswered!(check(session, 'news'));
    await first.close();
    expect(logs.filter((line) => line.includes('statistics queue full'))).toEqual([]);
    expect(logs.filter((line) => line.includes('not written'))).toEqual([]);

    const second = startStatistics({ config, log: memoryLogger([]), clock });
    expect(await second.stats.query({ since: new Date(0), grouping: 'user' })).toEqual([
      { key: '5', viewers: 1, sessions: 300, watchSeconds: 300 * 30, peakConcurrent: 300 },
    ]);
    expect(second.stats.droppedRows()).toBe(0);
    await second.close();
  });

  it('a statistics file that cannot be opened does not stop the start: logged naming stats.path, rows wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iab-start-'));
    folders.push(dir);
    // A folder where a file is: nothing can be created under it.
    const path = join(dir, 'stats.db', 'stats.db');
    await startStatistics({ config: configFor({ path: join(dir, 'stats.db') }), log: memoryLogger([]) }).close();
    const logs: string[] = [];
    const started = startStatistics({ config: configFor({ path }), log: memoryLogger(logs), clock: new ManualClock() });
    expect(logs.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: 'error',
        message: expect.stringMatching(/^statistics file cannot be opened: decisions are served/),
        error: expect.stringContaining(`cannot open the statistics file ${path} (stats.path): EEXIST`),
      }),
    ]);
    // The live sessions go on; reading the statistics says why they are not there.
    await expect(started.stats.query({ since: new Date(0), grouping: 'channel' })).rejects.toThrow(/stats\.path/);
    await started.close();
  });
});
