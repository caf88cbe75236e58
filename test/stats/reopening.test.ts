import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionRow } from '../../src/sessions/types.js';
import { openStatsDatabase } from '../../src/stats/open.js';
import { REOPEN_EVERY_MS, reopeningDatabase } from '../../src/stats/reopening.js';
import type { StatsDatabase } from '../../src/stats/types.js';
import { ManualClock } from '../support/manualClock.js';
import { sessionRow, useTempFolders } from './support/sessionRows.js';

const row = (id: string): SessionRow => sessionRow(id, { caller: '10.0.0.1', channel: 'a001', ip: '203.0.113.7' });

const tempFolder = useTempFolders('bridge-reopen-');
let database: StatsDatabase | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

/** A real SQLite statistics file that cannot be opened at first: garbage where its header should be. */
function corruptFile(): string {
  const path = join(tempFolder(), 'stats.db');
  writeFileSync(path, Buffer.alloc(8192, 0x5a));
  return path;
}

describe('reopeningDatabase', () => {
  it('serves on when the file cannot be opened: each call fails with why, and it opens once the file is fixed', async () => {
    const path = corruptFile();
    const clock = new ManualClock();
    const unopened: string[] = [];
    let tries = 0;
    database = reopeningDatabase(
      'sqlite',
      () => {
        tries++;
        return openStatsDatabase({ store: 'sqlite', path } as never)!;
      },
      clock,
      (error) => unopened.push(error.message),
    );
    expect(unopened).toEqual([expect.stringMatching(/cannot open the statistics file .*stats\.db \(stats\.path\): /)]);
    await expect(database.write([row('a')])).rejects.toThrow(/stats\.path/);
    await expect(database.spans(0, Date.now())).rejects.toThrow(/stats\.path/);
    // Not tried again before its time: a failing file costs one try per period, not one per call.
    expect(tries).toBe(1);

    rmSync(path);
    clock.advance(REOPEN_EVERY_MS);
    await database.write([row('a')]);
    expect(tries).toBe(2);
    expect(await database.spans(0, Date.UTC(2027, 0, 1))).toEqual([
      expect.objectContaining({ session: 'a', channel: 'a001' }),
    ]);
  });

  it('a file another program holds locked is tried again once the lock is gone', async () => {
    const path = join(tempFolder(), 'stats.db');
    const locker = new Database(path);
    locker.exec('CREATE TABLE other (x); BEGIN EXCLUSIVE; INSERT INTO other VALUES (1);');
    const clock = new ManualClock();
    const unopened: string[] = [];
    try {
      database = reopeningDatabase(
        'sqlite',
        () => openStatsDatabase({ store: 'sqlite', path } as never)!,
        clock,
        (error) => unopened.push(error.message),
      );
      expect(unopened).toEqual([expect.stringContaining('(stats.path): database is locked')]);
      await expect(database.write([row('c')])).rejects.toThrow(/database is locked/);
    } finally {
      locker.exec('COMMIT');
      locker.close();
    }
    clock.advance(REOPEN_EVERY_MS);
    await database.write([row('c')]);
    expect(await database.spans(0, Date.UTC(2027, 0, 1))).toHaveLength(1);
  });

  it('a file opened at once is used as it is, and closed with it', async () => {
    const path = join(tempFolder(), 'stats.db');
    const unopened: Error[] = [];
    database = reopeningDatabase(
      'sqlite',
      () => openStatsDatabase({ store: 'sqlite', path } as never)!,
      new ManualClock(),
      (error) => unopened.push(error),
    );
    await database.write([row('b')]);
    expect(unopened).toEqual([]);
    expect(await database.spans(0, Date.UTC(2027, 0, 1))).toHaveLength(1);
  });
});

describe('reopeningDatabase, a file removed while the bridge runs', () => {
  it('fails the next write saying so, then creates the file anew and writes what the writer kept', async () => {
    const path = join(tempFolder(), 'stats.db');
    database = reopeningDatabase(
      'sqlite',
      () => openStatsDatabase({ store: 'sqlite', path } as never)!,
      new ManualClock(),
      () => undefined,
    );
    await database.write([row('before')]);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
    await expect(database.write([row('kept')])).rejects.toThrow(
      /statistics file .*stats\.db \(stats\.path\) was removed or replaced while the bridge ran/,
    );
    // What the writer kept in its queue is written to the new file at the next call.
    await database.write([row('kept')]);
    expect(existsSync(path)).toBe(true);
    expect(await database.spans(0, Date.UTC(2027, 0, 1))).toEqual([expect.objectContaining({ session: 'kept' })]);
  });
});
