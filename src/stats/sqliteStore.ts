import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import type { SessionRow } from '../sessions/types.js';
import { deleteSliceSql, MIGRATIONS, rowValues, SCHEMA_VERSION_TABLE, spanOf, spansSql, upsertSql } from './sql.js';
import type { SessionSpan, StatsDatabase } from './types.js';

/** Rows per INSERT statement (SQLite allows 32766 parameters). */
const ROWS_PER_STATEMENT = 500;
const ROWS_PER_PAGE = 5000;
/** Loaded on first use: CLI commands that never open a statistics file do not pay for the native module. */
const loadSqlite = () => createRequire(import.meta.url)('better-sqlite3') as typeof Database;

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

/**
 * The embedded statistics store: one SQLite file, created (folder and all) on
 * first start. WAL mode: a commit is one append to the log, readers (the
 * `stats` command, sqlite3) never block the bridge's writes, and a crash
 * loses nothing committed. Once started it never waits on a lock
 * (busy_timeout 0): a locked file fails the batch, which waits in the queue
 * for the next try, instead of holding the event loop.
 */
export function openSqlite(path: string, options: SqliteOptions = {}): StatsDatabase {
  if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new (loadSqlite())(path, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  if (options.readonly) {
    db.pragma('busy_timeout = 2000');
  } else {
    // Another bridge process may be creating or migrating the same file right now: at start, waiting is fine.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
    db.pragma('busy_timeout = 0');
  }
  // Every statement numbers its parameters in the order they appear, so plain `?` binds them right.
  const placeholder = () => '?';
  const fullBatch = options.readonly ? undefined : db.prepare(upsertSql(ROWS_PER_STATEMENT, placeholder));
  const writeAll = db.transaction((rows: readonly SessionRow[]) => {
    for (let at = 0; at < rows.length; at += ROWS_PER_STATEMENT) {
      const slice = rows.slice(at, at + ROWS_PER_STATEMENT);
      const statement =
        slice.length === ROWS_PER_STATEMENT ? fullBatch! : db.prepare(upsertSql(slice.length, placeholder));
      statement.run(slice.flatMap(rowValues));
    }
  });
  // Read a page at a time, so a long period read by the admin listener never holds the event loop for long.
  const spansPage = db.prepare(
    `${spansSql(placeholder, 'rowid, ')} AND rowid > ? ORDER BY rowid LIMIT ${ROWS_PER_PAGE}`,
  );
  const deleteSlice = options.readonly ? undefined : db.prepare(deleteSliceSql(placeholder));
  return {
    kind: 'sqlite',
    write: async (rows) => {
      if (rows.length > 0) writeAll(rows);
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
    deleteBefore: async (before) => {
      let deleted = 0;
      for (;;) {
        const { changes } = deleteSlice!.run(before);
        deleted += changes;
        if (changes === 0) return deleted;
        // Let decisions run between slices.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    close: async () => {
      db.close();
    },
  };
}
