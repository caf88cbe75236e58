import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { SessionRow } from '../../src/sessions/types.js';
import { openSqlite } from '../../src/stats/sqliteStore.js';
import type { StatsDatabase } from '../../src/stats/types.js';
import { deadline, StatsWriter } from '../../src/stats/writer.js';
import { memoryLogger } from '../support/bridge.js';
import { ManualClock } from '../support/manualClock.js';
import { sessionRow, useTempFolders } from './support/sessionRows.js';

const tempFolder = useTempFolders('iab-writer-');
const row = (id: string, lastSeen = 2000): SessionRow => sessionRow(id, { lastSeen, by: 'default' });

/** A real SQLite file, and a second connection that can hold it locked as another process would. */
function lockedSqlite() {
  const dir = tempFolder();
  const path = join(dir, 'stats.db');
  const database = openSqlite(path);
  const other = new Database(path);
  return {
    database,
    lock: () => other.exec('BEGIN EXCLUSIVE'),
    unlock: () => other.exec('COMMIT'),
    close: () => other.close(),
  };
}

describe('StatsWriter', () => {
  it('writes queued rows in batches on its clock', async () => {
    const { database, close } = lockedSqlite();
    const clock = new ManualClock();
    const writer = new StatsWriter({ database, queueLimit: 100, clock, log: memoryLogger([]), batchRows: 2 });
    for (const id of ['a', 'b', 'c']) writer.enqueue(row(id));
    expect(await database.spans(0, 10_000)).toEqual([]);
    clock.advance(1000);
    await writer.flush();
    expect((await database.spans(0, 10_000)).map((s) => s.session).sort()).toEqual(['a', 'b', 'c']);
    expect(writer.state()).toEqual({ ok: true, queued: 0, droppedRows: 0, lastError: undefined });
    await writer.close(deadline(clock, 2000).reached);
    close();
  });

  it('while the database is locked, keeps rows in a bounded queue, counts what overflows, logs once, and writes the rest when it is back', async () => {
    const { database, lock, unlock, close } = lockedSqlite();
    const logs: string[] = [];
    const clock = new ManualClock();
    const writer = new StatsWriter({ database, queueLimit: 5, clock, log: memoryLogger(logs) });
    lock();
    for (let i = 0; i < 8; i++) writer.enqueue(row(`s${i}`));
    // A queued session's newer state takes its place, not a new one.
    writer.enqueue(row('s0', 9000));
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await writer.flush();
    }
    expect(writer.state()).toMatchObject({ ok: false, queued: 5, droppedRows: 3 });
    expect(writer.state().lastError).toMatch(/locked|busy/i);
    expect(logs.filter((l) => l.includes('statistics database unavailable'))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('statistics queue full'))).toHaveLength(1);

    unlock();
    clock.advance(1000);
    await writer.flush();
    const spans = await database.spans(0, 10_000);
    expect(spans.map((s) => s.session).sort()).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(spans.find((s) => s.session === 's0')!.lastSeen).toBe(9000);
    expect(writer.droppedRows()).toBe(3);
    expect(logs.filter((l) => l.includes('statistics database back'))).toHaveLength(1);
    expect(writer.state()).toMatchObject({ ok: true, queued: 0 });
    await writer.close(deadline(clock, 2000).reached);
    close();
  });

  it('a stop the database does not answer ends at its deadline: the rows not written are counted and named once', async () => {
    const hung: StatsDatabase = {
      kind: 'postgres',
      write: () => new Promise(() => {}),
      spans: async () => [],
      deleteBefore: async () => 0,
      close: async () => {},
    };
    const logs: string[] = [];
    const clock = new ManualClock();
    const writer = new StatsWriter({ database: hung, queueLimit: 100, clock, log: memoryLogger(logs) });
    writer.enqueue(row('a'));
    clock.advance(1000);
    // That batch waits on the database; two more rows wait behind it.
    writer.enqueue(row('b'));
    writer.enqueue(row('c'));
    const closed = writer.close(deadline(clock, 2000).reached);
    clock.advance(2000);
    await closed;
    expect(writer.state()).toMatchObject({ queued: 0, droppedRows: 3 });
    expect(logs.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'statistics stopped with session rows not written: they are dropped',
        rows: 3,
        droppedRows: 3,
      }),
    ]);
  });

  it('a stop with the database locked counts the rows it could not write, without waiting for its deadline', async () => {
    const { database, lock, unlock, close } = lockedSqlite();
    const logs: string[] = [];
    const clock = new ManualClock();
    const writer = new StatsWriter({ database, queueLimit: 100, clock, log: memoryLogger(logs) });
    lock();
    for (const id of ['a', 'b']) writer.enqueue(row(id));
    await writer.close(new Promise(() => {}));
    expect(writer.droppedRows()).toBe(2);
    expect(logs.filter((l) => l.includes('"rows":2'))).toHaveLength(1);
    unlock();
    close();
    await database.close();
  });
});
