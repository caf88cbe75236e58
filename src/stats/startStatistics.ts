import type { BridgeConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { BridgeObserver } from '../observe.js';
import { maskOccurrences, withUrlEncoded } from '../secrets.js';
import { systemClock, type Clock } from '../clock.js';
import { SessionTracker } from '../sessions/tracker.js';
import { createConnectors, type Connectors } from '../streamingServers/connectors.js';
import { openStatsDatabase } from './open.js';
import { liveSummaries } from './liveSummaries.js';
import { reopeningDatabase } from './reopening.js';
import { startRetention } from './retention.js';
import type { StatsView } from './types.js';
import { createStatsView } from './view.js';
import type { WriterState } from './types.js';
import { deadline, StatsWriter } from './writer.js';

export interface Statistics {
  /** To be passed to the request listener: feeds the sessions from the answered checks. */
  readonly observer: BridgeObserver;
  /** `/admin/sessions` and `sessions_live{route}`. */
  readonly sessions: SessionTracker;
  /** `/admin/stats`, the status page's chart and `stats_rows_dropped_total`. */
  readonly stats: StatsView;
  /** The streaming servers' APIs: their state for `/admin/status`, and `closeViewer` for `/admin/revoke`. */
  readonly connectors: Connectors;
  /** The statistics store for `/admin/status`. */
  state(): { readonly store: BridgeConfig['stats']['store'] } & Partial<WriterState>;
  /** Writes what is queued now (the writer also does so every second). */
  flush(): Promise<void>;
  /**
   * Writes the live sessions' progress and what is queued, then lets go of the database, in STOP_WITHIN_MS
   * at most (on the clock): what is not written by then is counted as dropped.
   */
  close(): Promise<void>;
}

/**
 * How long a stop waits for the statistics, after the drain. A frozen database must not hold the exit: a
 * restart cannot take the port until this process is gone, and under socket activation the checks that
 * arrive meanwhile wait in the kernel's queue, against their route's budget (5 s by default). A healthy
 * PostgreSQL took 80-110 ms per 1,000-row batch here (2 cores, loaded), so this writes about 20,000 rows:
 * a second's changes and the live sessions' progress of a large bridge.
 */
export const STOP_WITHIN_MS = 2000;

export interface StatisticsOptions {
  readonly config: BridgeConfig;
  readonly log: Logger;
  readonly clock?: Clock;
}

/**
 * Sessions, their statistics store and the streaming-server connectors, wired
 * together: the one thing `serve` starts for them. Nothing it starts sits on
 * the decision path; the observer only records and returns.
 */
export function startStatistics({ config, log, clock = systemClock }: StatisticsOptions): Statistics {
  const database =
    config.stats.store === 'sqlite'
      ? reopeningDatabase(
          'sqlite',
          () => openStatsDatabase(config.stats)!,
          clock,
          (error) =>
            log.error(
              'statistics file cannot be opened: decisions are served, session rows wait in memory, ' +
                'the file is tried again every 10 s',
              { error: error.message },
            ),
        )
      : openStatsDatabase(config.stats, {
          onIdleError: (error) => log.debug('statistics database connection lost', { error: error.message }),
        });
  const password = config.stats.url === undefined ? '' : decodeURIComponent(new URL(config.stats.url).password);
  const writer =
    database &&
    new StatsWriter({
      database,
      queueLimit: config.stats.queue,
      clock,
      log,
      mask: (text) => maskOccurrences(text, withUrlEncoded([password])),
    });
  const tracker = new SessionTracker({
    idleTtlSeconds: config.sessions.idleTtl,
    maxLive: config.stats.maxLiveSessions,
    clock,
    sink: writer && ((row) => writer.enqueue(row)),
  });
  const stopRetention = database && startRetention(database, config.stats.keepDays, clock, log);
  const connectors = createConnectors(config.streamingServers, tracker, clock, log);
  const live = { summaries: liveSummaries(tracker) };
  const stats = createStatsView(
    database ?? live,
    () => writer?.state(),
    () => clock.now(),
    config.sessions.idleTtl,
  );
  return {
    observer: tracker,
    sessions: tracker,
    stats,
    connectors,
    state: () => ({ store: config.stats.store, ...writer?.state() }),
    flush: async () => writer?.flush(),
    async close() {
      connectors.close();
      tracker.close();
      stopRetention?.();
      if (!writer || !database) return;
      for (const row of tracker.rows()) writer.enqueueAtStop(row);
      const bound = deadline(clock, STOP_WITHIN_MS);
      try {
        await writer.close(bound.reached);
        // A pool still waiting on a hung statement, a thread on a stalled disk: the process exits without them.
        await Promise.race([database.close(), bound.reached]);
      } finally {
        bound.cancel();
      }
    },
  };
}
