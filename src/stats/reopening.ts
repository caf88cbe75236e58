import type { Clock } from '../clock.js';
import type { StatsDatabase } from './types.js';

/** How often a statistics database that could not be opened is tried again. */
export const REOPEN_EVERY_MS = 10_000;

/**
 * The statistics database as `serve` holds it: a file that cannot be opened at start (locked by
 * another program, corrupt, not readable by this user) must not keep the bridge from serving, since
 * a streaming server that finds nothing listening lets every viewer in. Until it opens, every call
 * fails with why (the writer then keeps rows in its queue and logs the outage once, `/admin/stats`
 * answers 503), and opening is tried again at most every REOPEN_EVERY_MS, when a call comes.
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
  return {
    kind,
    write: async (rows) => opened().write(rows),
    spans: async (since, until) => opened().spans(since, until),
    // Only SQLite is reopened so, and a SQLite database always sums its statistics in its reader thread.
    summaries: {
      rows: async (by, window, rules) => opened().summaries!.rows(by, window, rules),
      concurrency: async (window, stepSeconds, rules) => opened().summaries!.concurrency(window, stepSeconds, rules),
    },
    deleteBefore: async (before) => opened().deleteBefore(before),
    close: async () => database?.close(),
  };
}
