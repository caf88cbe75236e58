import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION_TABLE, spanOf, spansSql } from './sql.js';
import { sqliteSummaries } from './readerThread.js';
import { SqliteWriterThread } from './sqliteThread.js';
import type { SessionSpan, StatsDatabase } from './types.js';

const ROWS_PER_PAGE = 5000;
/** Loaded on first use: CLI commands that never open a statistics file do not pay for the native module. */
const loadSqlite = () => createRequire(import.meta.url)('better-sqlite3') as typeof Database;

/**
 * The file the bridge writes is no longer at its path: deleted, moved or replaced while it ran. The
 * connection would go on writing to the unlinked file, and every row would vanish with it.
 */
export class StatsFileGone extends Error {}

/** Which file a path names now (device and inode); undefined when nothing is there. */
function fileAt(path: string): string | undefined {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat && `${stat.dev}:${stat.ino}`;
}

export interface SqliteOptions {
  /** The `stats` command reads a file the bridge writes: it never creates or migrates one. */
  readonly readonly?: boolean;
}

/** Brings the schema to the newest version, in one transaction. */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec(SCHEMA_VERSION_TABLE);
    const current =
      (db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as { version: number | null }).version ??
      0;
    MIGRATIONS.slice(current).forEach((statements, index) => {
      for (const statement of statements) db.exec(statement);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(current + index + 1);
    });
  })();
}

/** Sets the connection up; a writer's also creates and migrates the file. */
function prepareFile(db: Database.Database, options: SqliteOptions): void {
  if (options.readonly) {
    db.pragma('busy_timeout = 2000');
  } else {
    // Another bridge process may be creating or migrating the same file right now (that takes milliseconds):
    // waited for a second, no longer, since `serve` listens only after this. A file locked for longer is
    // tried again later (reopening.ts) while the bridge serves.
    db.pragma('busy_timeout = 1000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
    db.pragma('busy_timeout = 0');
  }
}

/**
 * The embedded statistics store: one SQLite file, created (folder and all) on
 * first start. WAL mode: a commit is one append to the log, readers (the
 * `stats` command, sqlite3) never block the bridge's writes, and a crash
 * loses nothing committed. This connection creates and migrates the file and
 * reads it; writes and retention deletes go through a connection in a thread
 * of its own (sqliteThread.ts), so they never hold the event loop. Once
 * started neither waits on a lock (busy_timeout 0): a locked file fails the
 * batch, which waits in the queue for the next try.
 */
export function openSqlite(path: string, options: SqliteOptions = {}): StatsDatabase {
  if (!options.readonly) {
    // Viewer addresses, logins and user agents are for the service's user alone, as the shipped unit's UMask=0077 has
    // them, also in a bridge started by hand under a umask of 022 (the file was world-readable). SQLite gives its
    // -wal and -shm files the database file's mode. A folder or file that exists keeps the mode it has.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
  }
  const db = new (loadSqlite())(path, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  try {
    prepareFile(db, options);
  } catch (error) {
    // Tried again every few seconds while the file is locked or broken: no handle is left open behind.
    db.close();
    throw error;
  }
  // Read a page at a time, so a long period read by the admin listener never holds the event loop for long.
  const spansPage = db.prepare(`${spansSql(() => '?', 'rowid, ')} AND rowid > ? ORDER BY rowid LIMIT ${ROWS_PER_PAGE}`);
  const writer = options.readonly ? undefined : new SqliteWriterThread(path);
  // Looked at before each batch (one a second at most): a stat costs microseconds, and a lost file loses every row.
  const file = fileAt(path);
  const assertStillThere = () => {
    if (fileAt(path) !== file)
      throw new StatsFileGone(`the statistics file ${path} (stats.path) was removed or replaced while the bridge ran`);
  };
  const summaries = sqliteSummaries(path);
  return {
    kind: 'sqlite',
    write: async (rows) => {
      if (rows.length === 0) return;
      assertStillThere();
      await writer!.write(rows);
    },
    spans: async (since, until) => {
      const spans: SessionSpan[] = [];
      for (let after = 0; ; ) {
        const page = spansPage.all(since, until, after) as (Parameters<typeof spanOf>[0] & { rowid: number })[];
        for (const record of page) spans.push(spanOf(record));
        if (page.length < ROWS_PER_PAGE) return spans;
        after = page.at(-1)!.rowid;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    summaries,
    deleteBefore: async (before) => writer!.deleteBefore(before),
    close: async () => {
      await summaries.close();
      await writer?.close();
      db.close();
    },
  };
}
