import { describe, expect, it } from 'vitest';
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
  it('says statistics are kept only when a database keeps them: with store off they are the live sessions', async () => {
    expect((await statusWith({ store: 'sqlite', path: ':memory:' })).statistics).toBe(true);
    expect((await statusWith({ store: 'off' })).statistics).toBe(false);
  });
});
