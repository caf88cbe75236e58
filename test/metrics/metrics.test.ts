import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, UNKNOWN_ROUTE } from '../../src/metrics/metrics.js';
import type { LiveSession } from '../../src/admin/views.js';
import type { CircuitState } from '../../src/resilience/circuitBreaker.js';
import { startOperatedBridge, type OperatedBridge } from '../support/operations.js';
import { parsePrometheusText, sampleValue, type Sample } from '../support/promText.js';
import { closedPort, startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';
import { listedSessions } from '../support/views.js';

const P = 'iptv_auth_bridge_';
const VIEWER = {
  'X-Real-IP': '198.51.100.23',
  'X-Session-ID': '77',
  'X-Channel-ID': 'a001',
  'X-Real-Path': '/tv/a001/index.m3u8',
};

let middleware: ReplayServer;
let slow: ReplayServer;
let bridge: OperatedBridge;

async function check(path: string, headers: Record<string, string> = VIEWER): Promise<number> {
  const res = await fetch(`${bridge.decisions}${path}`, { headers });
  await res.text();
  return res.status;
}

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`${bridge.admin}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, samples: parsePrometheusText(text) };
}

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'));
  // Well over the 0.25 s bucket the zap checks must not fall in: under a load of 20, the five concurrent checks
  // reached the bridge over 50 ms apart: two that joined the 300 ms ask late were answered in under 0.25 s.
  slow = await startReplayServer([
    { request: { path: '/slow' }, response: { status: 200, delayMs: 700, headers: { 'X-Session-Name': 'zapper' } } },
  ]);
  const dead = await closedPort();
  bridge = await startOperatedBridge({
    backends: {
      check: { type: 'http', url: `${middleware.url}/auth/check` },
      slow: { type: 'http', url: `${slow.url}/slow` },
      // A real dead middleware: nothing listens there. Two failures open its circuit.
      dead: {
        type: 'http',
        url: `http://127.0.0.1:${dead}/check`,
        timeoutMs: 500,
        breaker: { failures: 2, cooldown: 600 },
      },
    },
    routes: {
      default: { backends: ['check'] },
      zap: { backends: ['slow'] },
      dead: { backends: ['dead'], default: 'deny' },
      open: { backends: ['dead'], default: 'allow' },
      publishers: { backends: ['check'], publish: 'allow' },
    },
  });
  expect(await check('/auth?token=good-token')).toBe(200);
  expect(await check('/auth?token=good-token')).toBe(200);
  expect(await check('/flussonic?token=good-token&name=a001&ip=198.51.100.23&session_id=77')).toBe(200);
  expect(await check('/flussonic?token=good-token&name=a001&ip=198.51.100.23&session_id=77')).toBe(200);
  expect(await check('/auth?token=bad-token')).toBe(403);
  for (let i = 0; i < 3; i++) expect(await check('/auth/dead?token=dead-token')).toBe(403);
  expect(await check('/auth/open?token=other-token')).toBe(200);
  expect(await check('/auth/nosuch-route-1?token=x')).toBe(404);
  expect(await check('/auth/nosuch-route-2?token=x')).toBe(404);
  expect(await check('/auth?token=good-token', { 'X-Real-IP': 'not-an-ip' })).toBe(403);
  // Publishing, decided by each route's `publish` setting: denied on the default route, allowed on `publishers`.
  const publish = async (route: string) => {
    const body = JSON.stringify({ action: 'publish', path: 'a001', ip: '198.51.100.23', protocol: 'rtmp', id: 'p1' });
    const res = await fetch(`${bridge.decisions}/mediamtx${route}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    await res.text();
    return res.status;
  };
  expect(await publish('')).toBe(403);
  expect(await publish('')).toBe(403);
  expect(await publish('/publishers')).toBe(200);
  // Identical concurrent misses: one asks the middleware, the others join it.
  const zaps = await Promise.all(Array.from({ length: 5 }, () => check('/auth/zap?token=zap-token')));
  expect(zaps).toEqual([200, 200, 200, 200, 200]);
});

afterAll(async () => {
  await bridge.close();
  await middleware.close();
  await slow.close();
});

describe('metrics after real decisions', () => {
  it('counts decisions by route, dialect, outcome, kind of decider and cache use (miss = the backends were asked)', async () => {
    const { samples } = await scrape();
    const decisions = (labels: Record<string, string>) => sampleValue(samples, `${P}decisions_total`, labels);
    expect(decisions({ route: 'default', dialect: 'cesbo', decision: 'allow', by: 'backend', cache: 'miss' })).toBe(1);
    expect(decisions({ route: 'default', dialect: 'cesbo', decision: 'allow', by: 'backend', cache: 'hit' })).toBe(1);
    expect(decisions({ route: 'default', dialect: 'cesbo', decision: 'deny', by: 'backend', cache: 'miss' })).toBe(1);
    // The Flussonic caller names the viewer without the path the Cesbo caller sent (the backend gets no
    // X-Real-Path from it): an entry of its own, asked once, then a hit counted under its own dialect.
    for (const cache of ['miss', 'hit'])
      expect(decisions({ route: 'default', dialect: 'flussonic', decision: 'allow', by: 'backend', cache })).toBe(1);
    expect(decisions({ route: 'dead', dialect: 'cesbo', decision: 'deny', by: 'default', cache: 'miss' })).toBe(3);
    expect(decisions({ route: 'zap', dialect: 'cesbo', decision: 'allow', by: 'backend', cache: 'miss' })).toBe(5);
  });

  it('counts publish decisions apart, each under its own outcome', async () => {
    const { samples } = await scrape();
    const publishing = (route: string, decision: string) =>
      sampleValue(samples, `${P}decisions_total`, {
        route,
        dialect: 'mediamtx',
        decision,
        by: 'publish',
        cache: 'none',
      });
    expect(publishing('default', 'deny')).toBe(2);
    expect(publishing('publishers', 'allow')).toBe(1);
    expect(publishing('default', 'allow')).toBeUndefined();
  });

  it('counts answers refused before any decision, with unconfigured route names under one label', async () => {
    const { samples } = await scrape();
    expect(
      sampleValue(samples, `${P}decisions_total`, {
        route: UNKNOWN_ROUTE,
        decision: 'refused',
        by: 'refused',
        cache: 'none',
      }),
    ).toBe(2);
    expect(sampleValue(samples, `${P}decisions_total`, { route: 'default', decision: 'refused' })).toBe(1);
    expect(samples.some((s) => Object.values(s.labels).some((v) => v.startsWith('nosuch-route')))).toBe(false);
  });

  it('counts default answers by route and action, the number to alert on', async () => {
    const { samples } = await scrape();
    expect(sampleValue(samples, `${P}default_answers_total`, { route: 'dead', action: 'deny' })).toBe(3);
    expect(sampleValue(samples, `${P}default_answers_total`, { route: 'open', action: 'allow' })).toBe(1);
    expect(sampleValue(samples, `${P}default_answers_total`, { route: 'default' })).toBeUndefined();
  });

  it('counts backend requests by outcome, the dead one as refused and then skipped by its open circuit', async () => {
    const { samples } = await scrape();
    const requests = (backend: string, outcome: string) =>
      sampleValue(samples, `${P}backend_requests_total`, { backend, outcome });
    expect(requests('check', 'allow')).toBe(2);
    expect(requests('check', 'deny')).toBe(1);
    expect(requests('dead', 'refused')).toBe(2);
    expect(requests('dead', 'circuit-open')).toBe(2);
    expect(requests('slow', 'allow')).toBe(1);
    expect(sampleValue(samples, `${P}backend_circuit_open`, { backend: 'dead' })).toBe(1);
    expect(sampleValue(samples, `${P}backend_circuit_open`, { backend: 'check' })).toBe(0);
    // Skipped requests took no time with the middleware: only the two real attempts are timed.
    expect(sampleValue(samples, `${P}backend_request_duration_seconds_count`, { backend: 'dead' })).toBe(2);
    expect(sampleValue(samples, `${P}backend_request_duration_seconds_count`, { backend: 'slow' })).toBe(1);
    expect(
      sampleValue(samples, `${P}backend_request_duration_seconds_sum`, { backend: 'slow' }),
    ).toBeGreaterThanOrEqual(0.3);
  });

  it('counts coalesced checks, times decisions per route and reads the store', async () => {
    const { samples } = await scrape();
    expect(sampleValue(samples, `${P}coalesced_total`)).toBe(4);
    expect(sampleValue(samples, `${P}decision_duration_seconds_count`, { route: 'zap' })).toBe(5);
    expect(sampleValue(samples, `${P}decision_duration_seconds_bucket`, { route: 'zap', le: '0.25' })).toBe(0);
    expect(sampleValue(samples, `${P}decision_duration_seconds_bucket`, { route: 'zap', le: '+Inf' })).toBe(5);
    expect(sampleValue(samples, `${P}store_up`)).toBe(1);
    // good-token (the Cesbo and the Flussonic check), bad-token, zap-token (the default answers of the dead
    // routes are never cached).
    expect(sampleValue(samples, `${P}cache_entries`)).toBe(4);
    expect(sampleValue(samples, `${P}config_reloads_total`, { result: 'invalid' })).toBe(0);
    expect(sampleValue(samples, `${P}stats_rows_dropped_total`)).toBe(0);
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('counts a second scrape on from the first, not twice', async () => {
    const before = sampleValue((await scrape()).samples, `${P}decisions_total`, {
      route: 'default',
      decision: 'allow',
      by: 'backend',
      cache: 'hit',
      dialect: 'cesbo',
    })!;
    expect(await check('/auth?token=good-token')).toBe(200);
    const after = sampleValue((await scrape()).samples, `${P}decisions_total`, {
      route: 'default',
      decision: 'allow',
      by: 'backend',
      cache: 'hit',
      dialect: 'cesbo',
    })!;
    expect(after).toBe(before + 1);
  });

  it('leaves the decision log lines as they were: a miss is not written as a cache field', () => {
    const decisionLines = bridge.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === 'decision');
    expect(decisionLines.filter((line) => line.cache === 'hit')).not.toHaveLength(0);
    expect(
      decisionLines.filter((line) => line.cache !== undefined && line.cache !== 'hit' && line.cache !== 'stale'),
    ).toEqual([]);
    expect(decisionLines.some((line) => 'miss' in line)).toBe(false);
  });

  it('never carries a token, an IP or a user in a label', async () => {
    const { text, samples } = await scrape();
    for (const secret of ['good-token', 'bad-token', 'dead-token', 'zap-token', '198.51.100.23', 'alice', 'zapper'])
      expect(text).not.toContain(secret);
    const labelNames = new Set(samples.filter((s) => s.name.startsWith(P)).flatMap((s) => Object.keys(s.labels)));
    expect([...labelNames].sort()).toEqual([
      'action',
      'backend',
      'by',
      'cache',
      'decision',
      'dialect',
      'le',
      'outcome',
      'result',
      'route',
    ]);
  });
});

describe('backend_circuit_open', () => {
  it('is 1 while a circuit is open and 0 once its cool-down is over (half-open: the next check asks the backend)', async () => {
    const circuits: Record<string, { circuit: CircuitState }> = {
      cooling: { circuit: 'open' },
      cooled: { circuit: 'half-open' },
      fine: { circuit: 'closed' },
    };
    const metrics = createMetrics({
      health: () => ({ status: 'ok', store: { store: 'memory', ok: true }, backends: circuits }),
      routes: () => ['default'],
    });
    const samples = parsePrometheusText(await metrics.registry.metrics());
    const open = (backend: string) => sampleValue(samples, `${P}backend_circuit_open`, { backend });
    expect([open('cooling'), open('cooled'), open('fine')]).toEqual([1, 0, 0]);
  });
});

describe('sessions_live', () => {
  it('counts the live sessions of a route a reload removed, until they end', async () => {
    const live = (route: string, session: string) =>
      ({ route, session, channel: 'a001', lastSeen: '2026-12-01T00:00:00.000Z' }) as LiveSession;
    const metrics = createMetrics({
      health: () => ({ status: 'ok', store: { store: 'memory', ok: true }, backends: {} }),
      routes: () => ['default'],
      sessions: listedSessions([live('default', '1'), live('removed', '2'), live('removed', '3')]),
    });
    const samples = parsePrometheusText(await metrics.registry.metrics());
    const count = (route: string) => sampleValue(samples, `${P}sessions_live`, { route });
    expect([count('default'), count('removed')]).toEqual([1, 2]);
  });
});
