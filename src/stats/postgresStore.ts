import { createRequire } from 'node:module';
import type pg from 'pg';
import type { SessionRow } from '../sessions/types.js';
import {
  COLUMNS_PER_ROW,
  deleteSliceSql,
  MIGRATIONS,
  flatValues,
  SCHEMA_VERSION_TABLE,
  spanOf,
  spansSql,
  upsertSql,
} from './sql.js';
import { postgresSummaries } from './readerThread.js';
import type { StatsDatabase } from './types.js';

/** PostgreSQL allows 65535 parameters per statement. */
const ROWS_PER_STATEMENT = Math.floor(65_535 / COLUMNS_PER_ROW);
/** Several bridges may start at once against one database: one migrates, the others wait for it. */
const MIGRATION_LOCK = 0x1ab_5e55;
const placeholder = (n: number) => `$${n}`;
/** Loaded on first use: every CLI command would otherwise pay for it at start. */
const loadPg = () => createRequire(import.meta.url)('pg') as typeof pg;

export interface PostgresOptions {
  /** No statement (and no connection attempt) takes longer than this; a batch fails at its first that does. */
  readonly timeoutMs?: number;
  /** Where errors of idle connections go (the server went away between batches). */
  readonly onIdleError?: (error: Error) => void;
}

/**
 * The shared statistics store: several bridges write to one database. A small
 * pool (two connections) with every wait bounded, so a database that hangs
 * fails a batch, which waits in the writer's queue, instead of piling up.
 * The schema is created and migrated on the first connection that works.
 * `/admin/stats` is read and summed in a reader thread (its own connection),
 * so a month of rows never holds the checks on the event loop.
 */
export function openPostgres(url: string, options: PostgresOptions = {}): StatsDatabase {
  const timeoutMs = options.timeoutMs ?? 5000;
  const pool = new (loadPg().Pool)({
    connectionString: url,
    max: 2,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs,
    idleTimeoutMillis: 30_000,
    allowExitOnIdle: true,
  });
  // Without a listener an idle connection's error (server restarted) would be an uncaught exception.
  pool.on('error', (error) => options.onIdleError?.(error));
  let migrated: Promise<void> | undefined;

  async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      // The connection goes, and the server rolls its transaction back. A ROLLBACK sent instead would queue
      // behind a statement that timed out on a hung server and wait out a second timeout (10 s, not 5 s),
      // and the connection, its statement never answered, would go back to the pool to fail the next batch.
      client.release(error instanceof Error ? error : true);
      throw error;
    }
  }

  function ready(): Promise<void> {
    migrated ??= inTransaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(SCHEMA_VERSION_TABLE);
      const { rows } = await client.query<{ version: number | null }>(
        'SELECT MAX(version) AS version FROM schema_version',
      );
      const current = rows[0]?.version ?? 0;
      for (const [index, statements] of MIGRATIONS.slice(current).entries()) {
        for (const statement of statements) await client.query(statement);
        await client.query('INSERT INTO schema_version (version) VALUES ($1)', [current + index + 1]);
      }
    }).catch((error: unknown) => {
      // Tried again with the next batch.
      migrated = undefined;
      throw error;
    });
    return migrated;
  }

  const summed = postgresSummaries(url, timeoutMs);

  return {
    kind: 'postgres',
    async write(rows: readonly SessionRow[]) {
      if (rows.length === 0) return;
      await ready();
      await inTransaction(async (client) => {
        for (let at = 0; at < rows.length; at += ROWS_PER_STATEMENT) {
          const slice = rows.slice(at, at + ROWS_PER_STATEMENT);
          await client.query(upsertSql(slice.length, placeholder), flatValues(slice));
        }
      });
    },
    async spans(since, until) {
      await ready();
      const { rows } = await pool.query(spansSql(placeholder), [since, until]);
      return rows.map(spanOf);
    },
    summaries: {
      // The schema first: a bridge whose first batch is still to come asks a database it has not migrated.
      rows: async (grouping, window, rules) => {
        await ready();
        return summed.rows(grouping, window, rules);
      },
      concurrency: async (window, stepSeconds, rules) => {
        await ready();
        return summed.concurrency(window, stepSeconds, rules);
      },
    },
    async deleteBefore(before) {
      await ready();
      let deleted = 0;
      for (;;) {
        const { rowCount } = await pool.query(deleteSliceSql(placeholder), [before]);
        deleted += rowCount ?? 0;
        if (!rowCount) return deleted;
      }
    },
    close: async () => {
      await summed.close();
      await pool.end();
    },
  };
}
