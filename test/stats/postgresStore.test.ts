import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBridge } from '../../src/bridge.js';
import { validateConfig } from '../../src/config/load.js';
import { createRequestListener } from '../../src/server/app.js';
import type { SessionRow } from '../../src/sessions/types.js';
import { aggregate, concurrency } from '../../src/stats/aggregate.js';
import { openPostgres } from '../../src/stats/postgresStore.js';
import { STOP_WITHIN_MS, startStatistics } from '../../src/stats/startStatistics.js';
import { memoryLogger } from '../support/bridge.js';
import { ManualClock } from '../support/manualClock.js';
import { startPostgres, type PostgresServer } from '../support/postgresServer.js';
import { answeredCheck } from './support/answeredChecks.js';

let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.destroy();
});
// A test that failed while the server was frozen must not leave it so for the next.
afterEach(() => postgres?.thaw());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const row = (id: string): SessionRow => ({
  id,
  route: 'default',
  protocol: 'cesbo',
  session: id,
  channel: 'a001',
  firstSeen: 1000,
  lastSeen: 5000,
  decision: 'allow',
  by: 'default',
  allowed: true,
});

async function count(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM viewing_sessions');
  await client.end();
  return Number(rows[0]!.n);
}

describe('PostgreSQL statistics store', () => {
  it('is created and migrated once when several bridges start at the same time', async () => {
    const bridges = [openPostgres(postgres.url), openPostgres(postgres.url), openPostgres(postgres.url)];
    await Promise.all(bridges.map((db, i) => db.write([row(`m${i}`)])));
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    expect((await client.query('SELECT version FROM schema_version')).rows).toEqual([{ version: 1 }]);
    await client.end();
    const spans = await bridges[0]!.spans(0, 10_000);
    expect(spans.map((s) => s.session).sort()).toEqual(['m0', 'm1', 'm2']);
    expect(spans[0]).toMatchObject({ firstSeen: 1000, lastSeen: 5000, channel: 'a001' });
    await Promise.all(bridges.map((db) => db.close()));
  });

  it('sums /admin/stats in its reader thread, as the event loop would have from the spans', async () => {
    const db = openPostgres(postgres.url);
    // Four days of 1970 (gone by retention when the next test starts its statistics), 2,000 sessions.
    const rows = Array.from({ length: 2000 }, (_, i) => ({
      ...row(`sum${i}`),
      channel: `ch${i % 7}`,
      user: i % 5 === 0 ? undefined : `user${i % 40}`,
      ip: `203.0.113.${i % 50}`,
      firstSeen: (i % 96) * HOUR,
      lastSeen: (i % 96) * HOUR + (i % 13) * 600_000,
      ...(i % 3 === 0 ? { endedAt: (i % 96) * HOUR + (i % 13) * 600_000, endReason: 'closed-by-server' as const } : {}),
    }));
    try {
      await db.write(rows);
      const rules = { idleTtlMs: 60_000 };
      const window = { since: 6 * HOUR, until: 90 * HOUR };
      const spans = await db.spans(window.since - rules.idleTtlMs, window.until);
      expect(db.summaries).toBeDefined();
      for (const by of ['channel', 'user', 'day', 'route'] as const) {
        expect(await db.summaries!.rows(by, window, rules)).toEqual(aggregate(spans, by, window, rules));
      }
      const byChannel = await db.summaries!.rows('channel', window, rules);
      expect(byChannel.map((r) => r.key).sort()).toEqual(['ch0', 'ch1', 'ch2', 'ch3', 'ch4', 'ch5', 'ch6']);
      expect(await db.summaries!.concurrency(window, 900, rules)).toEqual(concurrency(spans, window, 900, rules));
    } finally {
      await db.close();
    }
  });

  it('answers /admin/stats of a database no batch has reached yet: the schema comes first', async () => {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE unwritten');
    await admin.end();
    const url = new URL(postgres.url);
    url.pathname = '/unwritten';
    const db = openPostgres(url.href);
    try {
      expect(await db.summaries!.rows('day', { since: 200 * DAY, until: 201 * DAY }, { idleTtlMs: 0 })).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('while the database is down decisions go on unchanged; the rows are written once it is back', async () => {
    const logs: string[] = [];
    const log = memoryLogger(logs);
    const config = validateConfig(
      { stats: { store: 'postgres', url: postgres.url }, routes: { default: { default: 'allow' } } },
      'test config',
      {},
    );
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const statistics = startStatistics({ config, log, clock });
    const bridge = createBridge(config, log);
    const listener = createRequestListener({
      decider: bridge.decider,
      trustedCallers: config.trustedCallers,
      maxQueryBytes: config.limits.maxQueryBytes,
      log,
      observer: statistics.observer,
    });
    const server: Server = createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const checks = async (from: number, to: number) => {
      const statuses: number[] = [];
      for (let i = from; i < to; i++) {
        const response = await request(`${base}/auth?token=t${i}`, {
          headers: {
            'x-real-ip': '203.0.113.7',
            'x-real-path': `/tv/ch${i % 3}/index.m3u8`,
            'x-session-id': `outage-${i}`,
          },
        });
        await response.body.dump();
        statuses.push(response.statusCode);
      }
      return statuses;
    };
    try {
      expect(await checks(0, 10)).toEqual(Array(10).fill(200));
      await statistics.flush();
      expect(statistics.state()).toMatchObject({ store: 'postgres', ok: true, queued: 0 });

      await postgres.kill();
      expect(await checks(10, 30)).toEqual(Array(20).fill(200));
      await statistics.flush();
      await statistics.flush();
      expect(statistics.state()).toMatchObject({ ok: false, queued: 20 });
      // What /metrics (stats_store_up) and /admin/status read.
      expect(statistics.stats.writerState()).toMatchObject({ ok: false, queued: 20 });
      expect(statistics.sessions.liveCount()).toBe(30);
      expect(logs.filter((l) => l.includes('statistics database unavailable'))).toHaveLength(1);

      await postgres.restart();
      await statistics.flush();
      expect(statistics.state()).toMatchObject({ ok: true, queued: 0, droppedRows: 0 });
      expect(logs.filter((l) => l.includes('statistics database back'))).toHaveLength(1);

      // Hung, not gone: a batch waits on it while checks go on.
      postgres.freeze();
      expect(await checks(30, 31)).toEqual([200]);
      const hung = statistics.flush();
      expect(await checks(31, 40)).toEqual(Array(9).fill(200));
      // Answered while that batch still waits on the database.
      expect(statistics.state().queued).toBe(10);
      postgres.thaw();
      await hung;
      await statistics.flush();
      expect(statistics.state()).toMatchObject({ ok: true, queued: 0 });

      const rows = await statistics.stats.query({ since: new Date(Date.UTC(2026, 5, 1)), grouping: 'channel' });
      expect(rows.reduce((n, r) => n + r.sessions, 0)).toBe(40);
      expect(rows.map((r) => r.key).sort()).toEqual(['ch0', 'ch1', 'ch2']);
      expect(logs.join('\n')).not.toMatch(/t1[0-9]\b/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await statistics.close();
      await bridge.close();
    }
    // The first test's rows, from 1970, went at start: older than stats.keepDays.
    expect(await count(postgres.url)).toBe(40);
  });

  it('a stop while the database is frozen ends at its bound: the rows not written are counted as dropped, named once', async () => {
    const logs: string[] = [];
    const config = validateConfig(
      { stats: { store: 'postgres', url: postgres.url }, routes: { default: { default: 'allow' } } },
      'test config',
      {},
    );
    const clock = new ManualClock(Date.UTC(2026, 5, 2));
    const statistics = startStatistics({ config, log: memoryLogger(logs), clock });
    for (const session of ['f1', 'f2', 'f3']) statistics.observer.checkAnswered!(answeredCheck(session, 'news'));
    await statistics.flush();
    expect(statistics.state()).toMatchObject({ ok: true, queued: 0 });

    postgres.freeze();
    for (const session of ['f4', 'f5']) statistics.observer.checkAnswered!(answeredCheck(session, 'news'));
    // This batch waits on the frozen server until the statement's own timeout.
    const hung = statistics.flush();
    const stopped = statistics.close();
    clock.advance(STOP_WITHIN_MS);
    expect(await Promise.race([stopped.then(() => 'stopped'), hung.then(() => 'statement timed out')])).toBe('stopped');
    // The five live sessions' progress, queued at the stop, reached no database.
    expect(statistics.stats.droppedRows()).toBe(5);
    const dropped = logs
      .map((line) => JSON.parse(line))
      .filter((line) => line.message.startsWith('statistics stopped'));
    expect(dropped).toEqual([
      expect.objectContaining({ level: 'warn', database: 'postgres', rows: 5, droppedRows: 5 }),
    ]);
    expect(logs.join('\n')).not.toContain('abc');
  });
});
