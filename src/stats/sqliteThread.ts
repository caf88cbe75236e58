import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import type { SessionRow } from '../sessions/types.js';
import { ModuleThread, serveInThread } from '../threads/moduleThread.js';
import { COLUMNS_PER_ROW, deleteSliceSql, flatValues, upsertSql } from './sql.js';

/*
 * Why a thread at all: a batch of 1,000 upserted rows costs SQLite 10-12 ms of CPU here (three B-trees
 * per row; about the same with 1-, 50- and 500-row statements), and a WAL checkpoint inside a commit
 * waits on the disk. On the event loop each batch held every check in flight that long.
 */

const THREAD = 'stats-writer';

type Request =
  | { readonly op: 'write'; readonly values: unknown[] }
  | { readonly op: 'deleteBefore'; readonly before: number };

serveInThread<Request, number | undefined>(THREAD, (path) => {
  const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  // A file that cannot be opened fails the first request with SQLite's message, and the thread ends,
  // so that the next request starts a new one.
  const db = new Sqlite(path as string, { fileMustExist: true });
  // As on the bridge's own connection: a locked file fails the batch at once, which waits in the writer's queue.
  db.pragma('busy_timeout = 0');
  db.pragma('synchronous = NORMAL');
  const upsert = db.prepare(upsertSql(1, () => '?'));
  const deleteSlice = db.prepare(deleteSliceSql(() => '?'));
  const writeAll = db.transaction((values: unknown[]) => {
    for (let at = 0; at < values.length; at += COLUMNS_PER_ROW) upsert.run(values.slice(at, at + COLUMNS_PER_ROW));
  });
  const deleteBefore = (before: number) => {
    let deleted = 0;
    for (let changes = -1; changes !== 0; deleted += changes) changes = deleteSlice.run(before).changes;
    return deleted;
  };
  return {
    handle: (request) => (request.op === 'write' ? void writeAll(request.values) : deleteBefore(request.before)),
    stop: () => void db.close(),
  };
});

/**
 * The statistics file's writing connection, in a worker thread of its own:
 * upserts and retention deletes run there, so no SQLite write ever holds the
 * event loop. Each request resolves once its transaction committed (a crash
 * loses nothing it resolved for) and rejects with SQLite's own message. A
 * thread that died (it could not open the file, or ran out of memory) is
 * started afresh by the next request; the thread never keeps the process
 * alive while nothing waits on it.
 */
export class SqliteWriterThread {
  private readonly thread: ModuleThread<Request, number | undefined>;

  constructor(path: string) {
    this.thread = new ModuleThread(THREAD, import.meta.url, path);
  }

  /** Inserts or updates the rows in one transaction. */
  async write(rows: readonly SessionRow[]): Promise<void> {
    await this.thread.ask({ op: 'write', values: flatValues(rows) });
  }

  /** Deletes the sessions that ended before `before`, a slice per statement; resolves with how many. */
  async deleteBefore(before: number): Promise<number> {
    return (await this.thread.ask({ op: 'deleteBefore', before })) ?? 0;
  }

  /** Lets go of the file once the requests already made are done. */
  close(): Promise<void> {
    return this.thread.close();
  }
}
