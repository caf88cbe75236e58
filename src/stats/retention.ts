import type { Logger } from '../log.js';
import type { Clock } from '../clock.js';
import type { StatsDatabase } from './types.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Deletes sessions older than `keepDays`, at start and every hour, in the background; returns the stop. */
export function startRetention(database: StatsDatabase, keepDays: number, clock: Clock, log: Logger): () => void {
  let running = false;
  const prune = () => {
    if (running) return;
    running = true;
    const before = clock.now() - keepDays * DAY_MS;
    database
      .deleteBefore(before)
      .then(
        (deleted) => {
          if (deleted > 0) log.info('old viewing sessions deleted', { deleted, keepDays });
        },
        // The writer reports an unavailable database; the next hour tries again.
        (error: unknown) =>
          log.debug('statistics retention failed', { error: error instanceof Error ? error.message : String(error) }),
      )
      .finally(() => (running = false));
  };
  prune();
  return clock.every(HOUR_MS, prune);
}
