import type { StatsConfig } from '../config/statsSchema.js';
import { openPostgres } from './postgresStore.js';
import { openSqlite } from './sqliteStore.js';
import type { StatsDatabase } from './types.js';

/**
 * The configured statistics database; undefined for `store: off`. A SQLite file that cannot be opened stops the
 * start, naming the key.
 */
export function openStatsDatabase(
  stats: StatsConfig,
  options: { readonly readonly?: boolean; readonly onIdleError?: (error: Error) => void } = {},
): StatsDatabase | undefined {
  if (stats.store === 'off') return undefined;
  if (stats.store === 'postgres') {
    return openPostgres(stats.url!, { onIdleError: options.onIdleError });
  }
  try {
    return openSqlite(stats.path, options);
  } catch (error) {
    throw new Error(
      `cannot open the statistics file ${stats.path} (stats.path): ` +
        (error instanceof Error ? error.message : String(error)),
    );
  }
}
