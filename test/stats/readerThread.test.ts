import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregate, concurrency } from '../../src/stats/aggregate.js';
import { sqliteSummaries } from '../../src/stats/readerThread.js';
import { openSqlite } from '../../src/stats/sqliteStore.js';
import { sessionRow, useTempFolders } from './support/sessionRows.js';

const tempFolder = useTempFolders('iab-stats-reader-');
const HOUR = 3_600_000;
/** The spans end where they say (no idle time after the last check), as the main thread's sums are asked here. */
const RULES = { idleTtlMs: 0 };

describe('statistics read in the reader thread', () => {
  it('sums the rows and the concurrency chart there, as the event loop would have from the spans', async () => {
    const database = openSqlite(join(tempFolder(), 'stats.db'));
    try {
      await database.write([
        sessionRow('1', { channel: 'a001', user: 'alice', firstSeen: 0, lastSeen: HOUR }),
        sessionRow('2', { channel: 'a001', user: 'bob', firstSeen: HOUR / 2, lastSeen: 2 * HOUR }),
        sessionRow('3', { channel: 'a002', user: 'alice', firstSeen: 0, lastSeen: HOUR / 4, endedAt: HOUR / 4 }),
        sessionRow('4', { channel: 'a002', allowed: false, decision: 'deny', firstSeen: 0, lastSeen: HOUR }),
      ]);
      const window = { since: 0, until: 2 * HOUR };
      const spans = await database.spans(window.since, window.until);
      const rows = await database.summaries!.rows('channel', window, RULES);
      expect(rows).toEqual(aggregate(spans, 'channel', window, RULES));
      expect(rows.map((row) => [row.key, row.viewers, row.sessions])).toEqual([
        ['a001', 2, 2],
        ['a002', 1, 1],
      ]);
      expect(await database.summaries!.concurrency(window, 900, RULES)).toEqual(concurrency(spans, window, 900, RULES));
    } finally {
      await database.close();
    }
  });

  it("rejects with SQLite's reason when the file cannot be opened, and opens it once it can", async () => {
    const path = join(tempFolder(), 'later.db');
    const summaries = sqliteSummaries(path);
    try {
      await expect(summaries.rows('day', { since: 0, until: HOUR }, RULES)).rejects.toThrow(
        /unable to open|does not exist/,
      );
      const database = openSqlite(path);
      await database.write([sessionRow('1', { firstSeen: 0, lastSeen: HOUR / 2 })]);
      await database.close();
      expect(await summaries.rows('day', { since: 0, until: HOUR }, RULES)).toEqual([
        { key: '1970-01-01', viewers: 1, sessions: 1, watchSeconds: 1800, peakConcurrent: 1 },
      ]);
    } finally {
      await summaries.close();
    }
  });
});
