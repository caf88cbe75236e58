import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminActions } from '../../src/admin/actions.js';
import { ConfigError } from '../../src/config/document.js';
import { readConfigFile } from '../../src/lifecycle/configFile.js';

import { openPostgres } from '../../src/stats/postgresStore.js';
import { createStatsView } from '../../src/stats/view.js';
import { traceCheck } from '../../src/trace/trace.js';
import { startOperatedBridge, type OperatedBridge } from '../support/operations.js';
import { parsePrometheusText, sampleValue } from '../support/promText.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';
import { fixedStats, listedSessions, session } from '../support/views.js';

/** The config serve reads from `file`. */
const loadConfigFile = (file: string, env: NodeJS.ProcessEnv) => readConfigFile(file, env).config;

const TOKEN = 'routes-admin-token-0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };
const json = { ...auth, 'Content-Type': 'application/json' };
const VIEWER = { 'X-Real-IP': '203.0.113.9', 'X-Real-Path': '/tv/a001/index.m3u8' };

let middleware: ReplayServer;
let bridge: OperatedBridge;
const stats = fixedStats(
  [{ key: 'a001', viewers: 12, sessions: 30, watchSeconds: 7200, peakConcurrent: 9 }],
  [
    { at: '2026-12-01T08:00:00.000Z', viewers: 3 },
    { at: '2026-12-01T08:05:00.000Z', viewers: 5 },
  ],
  17,
);

/**
 * Small real implementations of the actions other parts of the bridge carry
 * out: a flush or revoke that drops every cached decision (a fresh bridge and
 * store), a reload that validates the file as `serve` does, a trace that
 * asks the decision listener.
 */
function actions(operated: () => OperatedBridge): AdminActions {
  return {
    flush: async (route) => {
      await operated().renew();
      return { flushed: route ?? 'all' };
    },
    revoke: async (target) => {
      await operated().renew();
      return { revoked: target, dropped: 'every cached decision' };
    },
    reload: async () => {
      const { configFile: file } = operated();
      const outcome = { trigger: 'admin' as const, file, at: new Date().toISOString(), restartNeeded: [] };
      try {
        loadConfigFile(file, {});
        return { ...outcome, result: 'ok', problems: [] };
      } catch (error) {
        if (error instanceof ConfigError) return { ...outcome, result: 'invalid', problems: error.problems };
        throw error;
      }
    },
    trace: async (route, query, headers) => {
      const res = await fetch(`${operated().decisions}/auth/${route}?${query}`, { headers });
      return { route, query, status: res.status, answer: (await res.text()).trim() };
    },
  };
}

async function adminJson(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${bridge.admin}${path}`, { ...init, headers: { ...auth, ...init.headers } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const check = async (token: string) =>
  (await fetch(`${bridge.decisions}/auth?token=${token}`, { headers: VIEWER })).status;
const askedFor = (token: string) => middleware.received.filter((r) => r.query.token?.[0] === token).length;

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'));
  bridge = await startOperatedBridge(
    {
      admin: { token: TOKEN },
      backends: { check: { type: 'http', url: `${middleware.url}/auth/check` } },
      routes: { default: { backends: ['check'] }, other: { backends: ['check'] } },
    },
    {
      actions,
      stats,
      sessions: listedSessions([
        // Listed by the view oldest first, as the tracker lists them; seen last in the order 2, 3, 1.
        session({
          session: '1',
          user: 'alice',
          channel: 'a001',
          ip: '203.0.113.9',
          lastSeen: '2026-12-01T08:50:00.000Z',
        }),
        session({ session: '2', user: 'bob', channel: 'a002', lastSeen: '2026-12-01T08:59:30.000Z' }),
        session({ session: '3', user: 'alice', channel: 'a002', route: 'other', lastSeen: '2026-12-01T08:55:00.000Z' }),
      ]),
    },
  );
});

afterAll(async () => {
  await bridge.close();
  await middleware.close();
});

describe('GET /admin/status before anything happened', () => {
  it('has every field already: null for no reload yet, zero requests for a backend not asked yet', async () => {
    const quiet = await startOperatedBridge({
      admin: { token: TOKEN },
      backends: { check: { type: 'http', url: `${middleware.url}/auth/check` } },
    });
    try {
      const status = (await (await fetch(`${quiet.admin}/admin/status`, { headers: auth })).json()) as Record<
        string,
        unknown
      >;
      expect(status.lastReload).toBeNull();
      expect(status.backends).toEqual([
        {
          name: 'check',
          type: 'http',
          circuit: 'closed',
          failing: false,
          requests: 0,
          failures: 0,
          lastOutcome: null,
          lastAt: null,
          latencyMs: null,
        },
      ]);
    } finally {
      await quiet.close();
    }
  });
});

describe('POST /admin/cache/flush and /admin/revoke', () => {
  it('flush drops cached decisions: the next check asks the middleware again', async () => {
    expect(await check('good-token')).toBe(200);
    expect(await check('good-token')).toBe(200);
    expect(askedFor('good-token')).toBe(1);
    const flushed = await adminJson('/admin/cache/flush', {
      method: 'POST',
      headers: json,
      body: '{"route":"default"}',
    });
    expect(flushed).toEqual({ status: 200, body: { flushed: 'default' } });
    expect(await check('good-token')).toBe(200);
    expect(askedFor('good-token')).toBe(2);
    expect(await adminJson('/admin/cache/flush', { method: 'POST', headers: auth })).toEqual({
      status: 200,
      body: { flushed: 'all' },
    });
  });

  it('revoke passes exactly the target it was given and answers what the store dropped', async () => {
    expect(await check('good-token')).toBe(200);
    const before = askedFor('good-token');
    for (const target of [{ token: 'good-token' }, { login: 'alice' }, { userId: '1042' }]) {
      const revoked = await adminJson('/admin/revoke', { method: 'POST', headers: json, body: JSON.stringify(target) });
      expect(revoked).toEqual({ status: 200, body: { revoked: target, dropped: 'every cached decision' } });
    }
    expect(await check('good-token')).toBe(200);
    expect(askedFor('good-token')).toBe(before + 1);
  });
});

describe('POST /admin/reload', () => {
  it('answers 422 with every problem of an invalid file, 200 once it is valid, and counts both', async () => {
    writeFileSync(bridge.configFile, JSON.stringify({ listen: 'nowhere', cache: { allowTtl: -1 } }));
    const invalid = await adminJson('/admin/reload', { method: 'POST', headers: auth });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toMatchObject({
      result: 'invalid',
      problems: [expect.stringMatching(/^listen: /), expect.stringMatching(/^cache\.allowTtl: /)],
    });
    const status = await adminJson('/admin/status');
    expect(status.body.lastReload).toMatchObject({ result: 'invalid', at: expect.any(String) });

    writeFileSync(
      bridge.configFile,
      JSON.stringify({
        admin: { listen: '127.0.0.1:0', token: TOKEN },
        backends: { check: { type: 'http', url: `${middleware.url}/auth/check` } },
      }),
    );
    expect(await adminJson('/admin/reload', { method: 'POST', headers: auth })).toMatchObject({
      status: 200,
      body: { result: 'ok', problems: [] },
    });
    const metrics = parsePrometheusText(await (await fetch(`${bridge.admin}/metrics`)).text());
    expect(sampleValue(metrics, 'iptv_auth_bridge_config_reloads_total', { result: 'invalid' })).toBe(1);
    expect(sampleValue(metrics, 'iptv_auth_bridge_config_reloads_total', { result: 'ok' })).toBe(1);
    const after = await adminJson('/admin/status');
    expect(after.body.lastReload).toMatchObject({ result: 'ok' });
    expect((after.body.config as { sha256: string }).sha256).not.toBe(
      (status.body.config as { sha256: string }).sha256,
    );
  });
});

describe('POST /admin/reload with a body', () => {
  it('takes none or {}, and refuses fields it has no use for rather than ignoring them', async () => {
    const reload = (body: string) => adminJson('/admin/reload', { method: 'POST', headers: json, body });
    expect((await reload('{}')).status).toBe(200);
    expect(await reload('{"x":1}')).toEqual({
      status: 400,
      body: { error: 'expected no body, or the JSON object {}' },
    });
    expect((await reload('[]')).status).toBe(400);
  });
});

describe('GET /admin/trace', () => {
  it('passes the viewer query (less route) and the X-Real-* headers, and answers the trace', async () => {
    const traced = await adminJson('/admin/trace?route=default&token=bad-token&lang=en', {
      headers: { 'X-Real-IP': '203.0.113.77', 'X-Session-ID': '9', Cookie: 'x=1' },
    });
    expect(traced).toEqual({
      status: 200,
      body: { route: 'default', query: 'token=bad-token&lang=en', status: 403, answer: 'deny' },
    });
    const asked = middleware.received.findLast((r) => r.query.token?.[0] === 'bad-token')!;
    expect(asked.headers['x-real-ip']).toBe('203.0.113.77');
    expect(asked.headers['x-session-id']).toBe('9');
  });

  it.each([
    ['/admin/trace?token=x', 400, /route: required/],
    ['/admin/trace?route=&token=x', 400, /route: required/],
    ['/admin/trace?route=nosuch&token=x', 404, /no route named "nosuch"/],
    ['/admin/trace?route=default&route=nosuch&token=x', 400, /route: given more than once/],
  ])('%s answers %i', async (path, status, message) => {
    const answer = await adminJson(path);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toMatch(message);
  });
});

describe('GET /admin/sessions and /admin/stats', () => {
  it('lists live sessions, filtered by user, channel and route', async () => {
    expect((await adminJson('/admin/sessions')).body.count).toBe(3);
    const alice = await adminJson('/admin/sessions?user=alice&channel=a002');
    expect(alice.body).toEqual({ count: 1, sessions: [expect.objectContaining({ session: '3', route: 'other' })] });
    expect((await adminJson('/admin/sessions?route=default&user=')).body.count).toBe(2);
    const limited = await adminJson('/admin/sessions?limit=1');
    expect(limited.body.count).toBe(3);
    expect(limited.body.sessions).toEqual([expect.objectContaining({ session: '2' })]);
    for (const limit of ['0', '-1', '1.5', 'all', '1e3', '0x10', '99999999999999999999', '+5', ' 5'])
      expect((await adminJson(`/admin/sessions?limit=${limit}`)).status).toBe(400);
    // The README's route list writes every parameter, empty ones included: empty is not given.
    expect((await adminJson('/admin/sessions?user=&channel=&route=&limit=')).body.count).toBe(3);
    const twice = await adminJson('/admin/sessions?limit=1&limit=2');
    expect(twice).toEqual({ status: 400, body: { error: 'limit: given more than once' } });
  });

  it('lists the most recently seen first, so a limited list shows the sessions being watched now', async () => {
    const { body } = await adminJson('/admin/sessions');
    expect((body.sessions as { session: string }[]).map((s) => s.session)).toEqual(['2', '3', '1']);
  });

  it('answers statistics for a period and a grouping, 24 hours by channel unless asked', async () => {
    const rows = await adminJson('/admin/stats');
    expect(rows.body).toMatchObject({ by: 'channel', rows: [{ key: 'a001', viewers: 12 }] });
    const asked = stats.asked.at(-1)!;
    expect(Date.now() - asked.since.getTime()).toBeGreaterThanOrEqual(24 * 3600 * 1000 - 60_000);
    // No `until` asked: the answer still says where its window ended, the end the rows were read to.
    expect(rows.body.until).toBe(asked.until!.toISOString());
    await adminJson('/admin/stats?since=2026-11-01T00:00:00Z&until=2026-11-02&by=day');
    expect(stats.asked.at(-1)).toEqual({
      since: new Date('2026-11-01T00:00:00Z'),
      until: new Date('2026-11-02'),
      grouping: 'day',
    });
    await adminJson('/admin/stats?since=2026-11-01T03:00%2B03:00&until=&by=');
    expect(stats.asked.at(-1)).toMatchObject({ since: new Date('2026-11-01T00:00:00Z'), grouping: 'channel' });
  });

  it('answers the concurrency chart points', async () => {
    const chart = await adminJson(
      '/admin/stats/concurrency?since=2026-12-01T08:01:00Z&until=2026-12-01T09:00:00Z&step=5m',
    );
    expect(chart.body).toEqual({ stepSeconds: 300, points: [{ at: '2026-12-01T08:05:00.000Z', viewers: 5 }] });
  });

  it.each([
    ['/admin/stats?by=ip', /by: expected one of channel\|user\|day\|route/],
    ['/admin/stats?since=yesterday', /since: expected a duration/],
    ['/admin/stats?since=0h', /since: expected a duration/],
    ['/admin/stats?since=2h&until=3h', /until: must be after since/],
    ['/admin/stats?since=2999-01-01', /since: in the future \(until is now\)/],
    ['/admin/stats/concurrency?since=2999-01-01T00:00:00Z', /since: in the future/],
    // Not moved to March 2nd, not read in the bridge host's clock zone, not one of the two picked.
    ['/admin/stats?since=2026-02-30', /since: expected a duration/],
    ['/admin/stats?since=2026', /since: expected a duration/],
    ['/admin/stats?since=2026-11-01T10:00:00', /since: expected .* a date-time with Z or an offset/],
    ['/admin/stats?by=channel&by=user', /by: given more than once/],
    ['/admin/stats?since=1h&since=2h', /since: given more than once/],
    ['/admin/stats/concurrency?step=5m&step=10m', /step: given more than once/],
    ['/admin/stats/concurrency?step=1&since=30d', /at most 2000 points/],
    // 2001 points: since, 2000 steps of a minute, until.
    ['/admin/stats/concurrency?step=1m&since=2000m', /at most 2000 points/],
    ['/admin/stats/concurrency?step=-5', /step: expected a duration/],
    [
      '/admin/stats?since=1h&untill=2026-01-02',
      /"untill": not a parameter of this route \(it takes by, since, until\)/,
    ],
    ['/admin/stats/concurrency?since=1h&stpe=5m', /"stpe": not a parameter of this route/],
    ['/admin/sessions?usr=alice', /"usr": not a parameter of this route \(it takes user, channel, route, limit\)/],
  ])('%s answers 400', async (path, message) => {
    const answer = await adminJson(path);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(message);
  });

  it('reads live sessions and dropped statistics rows into the metrics', async () => {
    const metrics = parsePrometheusText(await (await fetch(`${bridge.admin}/metrics`)).text());
    expect(sampleValue(metrics, 'iptv_auth_bridge_sessions_live', { route: 'default' })).toBe(2);
    expect(sampleValue(metrics, 'iptv_auth_bridge_sessions_live', { route: 'other' })).toBe(1);
    expect(sampleValue(metrics, 'iptv_auth_bridge_stats_rows_dropped_total')).toBe(17);
  });
});

describe('without sessions and statistics', () => {
  it('answers 404 saying statistics are off', async () => {
    const plain = await startOperatedBridge({ admin: { token: TOKEN } });
    try {
      for (const path of ['/admin/sessions', '/admin/stats', '/admin/stats/concurrency']) {
        const res = await fetch(`${plain.admin}${path}`, { headers: auth });
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({
          error: 'statistics are off: this bridge keeps no viewing sessions or statistics',
        });
      }
    } finally {
      await plain.close();
    }
  });
});

describe('bad trace input and a statistics database that is down', () => {
  let refusing: OperatedBridge;
  const closedPort = async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((done) => server.close(done));
    return port;
  };

  beforeAll(async () => {
    const database = openPostgres(`postgres://bridge:db-secret-9@127.0.0.1:${await closedPort()}/stats`, {
      timeoutMs: 2000,
    });
    refusing = await startOperatedBridge(
      { admin: { token: TOKEN }, ipRules: ['allow any'] },
      {
        // The real tracer, as `serve` wires it.
        actions: (operated) => ({
          trace: (route, query, headers) => traceCheck(operated().config, route, { dialect: 'cesbo', query, headers }),
        }),
        stats: createStatsView(database, () => undefined, Date.now, 3600),
      },
    );
    return async () => {
      await refusing.close();
      await database.close();
    };
  });

  it.each([
    ['broken percent-encoding', '/admin/trace?route=default&token=%zz', {}],
    ['a parameter given twice', '/admin/trace?route=default&token=a&token=b', {}],
    ['a viewer IP that is not one', '/admin/trace?route=default&token=a', { 'X-Real-IP': 'notip' }],
    ['the unspecified address', '/admin/trace?route=default&token=a', { 'X-Real-IP': '0.0.0.0' }],
  ])('a trace of %s is refused as the decision listener refuses it (4xx)', async (_what, path, headers) => {
    const viewerQuery = path.replace('/admin/trace?route=default&', '');
    const served = await fetch(`${refusing.decisions}/auth?${viewerQuery}`, { headers });
    expect([400, 403]).toContain(served.status);
    const res = await fetch(`${refusing.admin}${path}`, { headers: { ...auth, ...headers } });
    expect(res.status).toBe(served.status);
    expect(((await res.json()) as { error: string }).error).not.toMatch(/^failed/);
  });

  it('a trace of a viewer header given twice is refused with the 400 the decision listener gives', async () => {
    // Two header lines, as raw headers: fetch would join them into one line.
    const twice = ['X-Real-IP', '203.0.113.1', 'X-Real-IP', '203.0.113.2'];
    const get = (url: string, extra: string[]) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        request(url, { headers: ['Host', new URL(url).host, ...twice, ...extra] }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
          .on('error', reject)
          .end();
      });
    const served = await get(`${refusing.decisions}/auth?token=a`, []);
    const traced = await get(`${refusing.admin}/admin/trace?route=default&token=a`, [
      'Authorization',
      auth.Authorization,
    ]);
    expect(served.status).toBe(400);
    expect(traced.status).toBe(400);
    expect(JSON.parse(traced.body)).toEqual({ error: 'the x-real-ip header is given more than once' });
  });

  it.each(['/admin/stats?since=1h', '/admin/stats/concurrency?since=1h'])(
    '%s answers 503 naming the database, without its password',
    async (path) => {
      const res = await fetch(`${refusing.admin}${path}`, { headers: auth });
      expect(res.status).toBe(503);
      const { error } = (await res.json()) as { error: string };
      expect(error).toMatch(/^the statistics database is unavailable: /);
      expect(error).not.toContain('db-secret-9');
      expect(refusing.logs.join('\n')).not.toContain('admin request failed');
    },
  );
});
