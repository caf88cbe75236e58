import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue } from '../support/promText.js';
import { startOperatedBridge } from '../support/operations.js';
import { fixedStats, listedSessions } from '../support/views.js';

async function statusWith(stats: Record<string, unknown>) {
  const bridge = await startOperatedBridge(
    { stats, routes: { default: { default: 'allow' } } },
    { sessions: listedSessions([]), stats: fixedStats([], []) },
  );
  try {
    return (await (await fetch(`${bridge.admin}/admin/status`)).json()) as { statistics: boolean };
  } finally {
    await bridge.close();
  }
}

describe('/admin/status', () => {
  it('says whether rows reach the statistics database, before any is dropped, and so do the metrics', async () => {
    const failing = {
      ...fixedStats([], []),
      writerState: () => ({ ok: false, queued: 20, droppedRows: 0, lastError: 'connect ECONNREFUSED 127.0.0.1:5432' }),
    };
    const bridge = await startOperatedBridge(
      { stats: { store: 'sqlite', path: ':memory:' }, routes: { default: { default: 'allow' } } },
      { sessions: listedSessions([]), stats: failing },
    );
    try {
      const status = (await (await fetch(`${bridge.admin}/admin/status`)).json()) as Record<string, unknown>;
      expect(status.statisticsStore).toEqual({
        ok: false,
        queued: 20,
        droppedRows: 0,
        lastError: 'connect ECONNREFUSED 127.0.0.1:5432',
      });
      const metrics = parsePrometheusText(await (await fetch(`${bridge.admin}/metrics`)).text());
      expect(sampleValue(metrics, 'iptv_auth_bridge_stats_store_up')).toBe(0);
      expect(sampleValue(metrics, 'iptv_auth_bridge_stats_rows_queued')).toBe(20);
    } finally {
      await bridge.close();
    }
  });

  it('says statistics are kept only when a database keeps them: with store off they are the live sessions', async () => {
    expect((await statusWith({ store: 'sqlite', path: ':memory:' })).statistics).toBe(true);
    expect((await statusWith({ store: 'off' })).statistics).toBe(false);
  });
});
