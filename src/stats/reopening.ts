import type { Clock } from '../clock.js';
import { StatsFileGone } from './sqliteStore.js';
import type { StatsDatabase } from './types.js';

/** How often a statistics database that could not be opened is tried again. */
export const REOPEN_EVERY_MS = 10_000;

/**
 * The statistics database as `serve` holds it: a file that cannot be opened at start (locked by
 * another program, corrupt, not readable by this user) must not keep the bridge from serving, since
 * a streaming server that finds nothing listening lets every viewer in. Until it opens, every call
 * fails with why (the writer then keeps rows in its queue and logs the outage once, `/admin/stats`
 * answers 503), and opening is tried again at most every REOPEN_EVERY_MS, when a call comes. A file
 * removed or replaced while the bridge runs is let go of at the next write, which fails (the writer
 * logs it and keeps its rows); the call after creates the file anew and writes them there.
 */
export function reopeningDatabase(
  kind: StatsDatabase['kind'],
  open: () => StatsDatabase,
  clock: Clock,
  onUnopened: (error: Error) => void,
): StatsDatabase {
  let database: StatsDatabase | undefined;
  let failure: Error | undefined;
  let triedAt = 0;
  const attempt = () => {
    triedAt = clock.now();
    try {
      database = open();
      failure = undefined;
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
  };
  attempt();
  if (failure) onUnopened(failure);

  const opened = (): StatsDatabase => {
    if (!database && clock.now() - triedAt >= REOPEN_EVERY_MS) attempt();
    if (database) return database;
    throw failure!;
  };
  /** A file removed or replaced under the bridge: let go of it, and create it anew at the next call. */
  const written = async (rows: Parameters<StatsDatabase['write']>[0]) => {
    const current = opened();
    try {
      await current.write(rows);
    } catch (error) {
      if (!(error instanceof StatsFileGone)) throw error;
      database = undefined;
      failure = error;
      triedAt = Number.NEGATIVE_INFINITY;
      await current.close().catch(() => undefined);
      throw error;
    }
  };
  return {
    kind,
    write: written,
    spans: async (since, until) => opened().spans(since, until),
    // Only SQLite is reopened so, and a SQLite database always sums its statistics in its reader thread.
    summaries: {
      rows: async (grouping, window, rules) => opened().summaries!.rows(grouping, window, rules),
      concurrency: async (window, stepSeconds, rules) => opened().summaries!.concurrency(window, stepSeconds, rules),
    },
    deleteBefore: async (before) => opened().deleteBefore(before),
    close: async () => database?.close(),
  };
}
