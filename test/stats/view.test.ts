import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SessionRow } from '../../src/sessions/types.js';
import { openSqlite } from '../../src/stats/sqliteStore.js';
import { createStatsView } from '../../src/stats/view.js';
import { sessionRow, useTempFolders } from './support/sessionRows.js';

// README, Viewing sessions and statistics: a session is open from its first check until it ends; one that ends
// idle (or is still live) is open until sessions.idleTtl after its last check, as connection limits count it.

const T0 = Date.UTC(2026, 0, 1, 10);
const IDLE_TTL_SECONDS = 3600;
const tempFolder = useTempFolders('iab-stats-view-');

/** Ten Astra sessions, each checked once, one a second from T0; none ended yet. */
const tenSingleChecks: SessionRow[] = Array.from({ length: 10 }, (_, i) =>
  sessionRow(`astra-${i}`, { channel: 'news', user: `viewer-${i}`, firstSeen: T0 + i * 1000, lastSeen: T0 + i * 1000 }),
);

const liveSource = (rows: readonly SessionRow[]) => ({ spans: async () => rows });

describe('statistics view: how long a session counts as open', () => {
  it('ten live single-check sessions peak at 10, and the chart shows them open now', async () => {
    const now = T0 + 60_000;
    const view = createStatsView(
      liveSource(tenSingleChecks),
      () => undefined,
      () => now,
      IDLE_TTL_SECONDS,
    );
    const rows = await view.query({ since: new Date(T0 - 60_000), grouping: 'channel' });
    expect(rows).toEqual([{ key: 'news', viewers: 10, sessions: 10, watchSeconds: 0, peakConcurrent: 10 }]);
    const points = await view.concurrency({ since: new Date(T0 - 60_000), stepSeconds: 30 });
    expect(points.at(-1)).toEqual({ at: new Date(now).toISOString(), viewers: 10 });
  });

  it('from the database: an idle end counts idleTtl after the last check, a closed one ends when closed', async () => {
    const db = openSqlite(join(tempFolder(), 'stats.db'));
    const hour = 3_600_000;
    await db.write([
      // Ended idle by the sweep (at its last check): open until an hour after it.
      sessionRow('idle', { channel: 'news', user: 'ann', firstSeen: T0, lastSeen: T0, endedAt: T0, endReason: 'idle' }),
      // Closed by the server's API 10 minutes in: open until then, not an hour more.
      sessionRow('closed', {
        channel: 'news',
        user: 'bob',
        firstSeen: T0 + 30 * 60_000,
        lastSeen: T0 + 40 * 60_000,
        endedAt: T0 + 40 * 60_000,
        endReason: 'closed-by-server',
      }),
      // Last checked before the period began, but still open in it.
      sessionRow('tail', {
        channel: 'sport',
        user: 'cy',
        firstSeen: T0 - 2 * hour,
        lastSeen: T0 - 45 * 60_000,
        endedAt: T0 - 45 * 60_000,
        endReason: 'idle',
      }),
    ]);
    try {
      const view = createStatsView(
        db,
        () => undefined,
        () => T0 + 5 * hour,
        IDLE_TTL_SECONDS,
      );
      const rows = await view.query({ since: new Date(T0), grouping: 'channel' });
      expect(rows).toEqual([
        { key: 'news', viewers: 2, sessions: 2, watchSeconds: 600, peakConcurrent: 2 },
        { key: 'sport', viewers: 1, sessions: 1, watchSeconds: 0, peakConcurrent: 1 },
      ]);
      const points = await view.concurrency({ since: new Date(T0), until: new Date(T0 + 2 * hour), stepSeconds: 1800 });
      expect(points.map((point) => point.viewers)).toEqual([2, 2, 1, 0, 0]);
    } finally {
      await db.close();
    }
  });
});
