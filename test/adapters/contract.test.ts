import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MiddlewareClient } from '../../src/adapters/transport.js';
import type { MiddlewareAdapter } from '../../src/adapters/types.js';
import type { ViewerRequest } from '../../src/viewer.js';
import { closedPort, startReplayServer, type Exchange, type ReplayServer } from '../support/replayServer.js';
import { adapterFrom, astraViewer, check } from './support.js';

/** Every adapter type: how it is configured under a base URL, where it asks and in which wire style. */
const ADAPTERS = [
  {
    type: 'http',
    backend: (base: string) => ({ type: 'http', url: `${base}/auth/check` }),
    endpoint: '/auth/check',
    style: 'cesbo',
  },
  {
    type: 'flussonic',
    backend: (base: string) => ({ type: 'flussonic', url: `${base}/flussonic/auth` }),
    endpoint: '/flussonic/auth',
    style: 'flussonic',
  },
  {
    type: 'ministra',
    backend: (base: string) => ({ type: 'ministra', url: `${base}/stalker_portal` }),
    endpoint: '/stalker_portal/server/api/chk_flussonic_tmp_link.php',
    style: 'flussonic',
  },
  {
    type: 'iptvportal',
    backend: (base: string) => ({ type: 'iptvportal', url: base }),
    endpoint: '/auth/arescrypt/',
    style: 'cesbo',
  },
  {
    type: 'iptvportal (protocol: flussonic)',
    backend: (base: string) => ({ type: 'iptvportal', url: base, protocol: 'flussonic' }),
    endpoint: '/auth/flussonic/arescrypt/',
    style: 'flussonic',
  },
  {
    type: 'smarty',
    backend: (base: string) => ({ type: 'smarty', url: base }),
    endpoint: '/tvmiddleware/api/streamservice/token/check/',
    style: 'flussonic',
  },
] as const;

const utf8AsHeader = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const allInfo = {
  sessionName: undefined,
  userId: undefined,
  redirect: undefined,
  authDuration: undefined,
  maxSessions: undefined,
  unique: undefined,
};
const jsonRule = { format: 'json', path: 'result.status', allow: ['ok'] };

interface Scenario {
  readonly name: string;
  readonly response: Exchange['response'];
  /** Backend settings besides type and URL. */
  readonly settings?: Record<string, unknown>;
  readonly verdict: unknown;
}

/** What every adapter makes of each kind of answer; the token names the scenario. */
const SCENARIOS: readonly Scenario[] = [
  {
    name: 'allow',
    response: {
      status: 200,
      headers: {
        'X-Session-Name': 'alice',
        'X-UserId': '42',
        'X-AuthDuration': '120',
        'X-Max-Sessions': '2',
        'X-Unique': 'true',
        Location: 'http://not.a/redirect',
      },
    },
    verdict: {
      outcome: 'allow',
      info: { ...allInfo, sessionName: 'alice', userId: '42', authDuration: 120, maxSessions: 2, unique: true },
      notes: [],
    },
  },
  {
    name: 'allow-userid',
    response: { status: 204, headers: { 'X-UserId': 'stb-7' } },
    verdict: { outcome: 'allow', info: { ...allInfo, sessionName: 'stb-7', userId: 'stb-7' }, notes: [] },
  },
  { name: 'deny-401', response: { status: 401 }, verdict: { outcome: 'deny', info: allInfo, notes: [] } },
  {
    name: 'deny-403',
    response: { status: 403, body: 'Forbidden' },
    verdict: { outcome: 'deny', info: allInfo, notes: [] },
  },
  { name: 'deny-404', response: { status: 404 }, verdict: { outcome: 'deny', info: allInfo, notes: [] } },
  {
    name: 'deny-429',
    response: { status: 429, headers: { 'Retry-After': '1' } },
    verdict: { outcome: 'deny', info: allInfo, notes: [] },
  },
  {
    name: 'x-location',
    response: { status: 403, headers: { 'X-Location': 'http://promo.example.com/blocked' } },
    verdict: { outcome: 'deny', info: { ...allInfo, redirect: 'http://promo.example.com/blocked' }, notes: [] },
  },
  {
    name: 'redirect',
    response: { status: 302, headers: { Location: 'http://promo.example.com/renew' } },
    verdict: { outcome: 'deny', info: { ...allInfo, redirect: 'http://promo.example.com/renew' }, notes: [] },
  },
  {
    name: 'redirect-x-location-wins',
    response: {
      status: 307,
      headers: { Location: 'http://promo.example.com/a', 'X-Location': 'http://promo.example.com/b' },
    },
    verdict: { outcome: 'deny', info: { ...allInfo, redirect: 'http://promo.example.com/b' }, notes: [] },
  },
  { name: 'redirect-no-location', response: { status: 301 }, verdict: { outcome: 'deny', info: allInfo, notes: [] } },
  { name: 'server-error', response: { status: 500 }, verdict: { outcome: 'error', error: 'server-error' } },
  {
    name: 'unavailable',
    response: { status: 503, body: 'down' },
    verdict: { outcome: 'error', error: 'server-error' },
  },
  {
    name: 'slow',
    response: { status: 200, delayMs: 3000 },
    settings: { timeoutMs: 200 },
    verdict: { outcome: 'error', error: 'timeout' },
  },
  {
    name: 'hang',
    response: { hang: true },
    settings: { timeoutMs: 200 },
    verdict: { outcome: 'error', error: 'timeout' },
  },
  { name: 'reset', response: { reset: true }, verdict: { outcome: 'error', error: 'reset' } },
  {
    name: 'too-large',
    response: { status: 200, bodyBytes: 70_000 },
    verdict: { outcome: 'error', error: 'too-large' },
  },
  {
    name: 'too-large-chunked',
    response: { status: 200, bodyBytes: 70_000, chunked: true },
    verdict: { outcome: 'error', error: 'too-large' },
  },
  {
    name: 'control-bytes',
    response: {
      raw: 'HTTP/1.1 200 OK\r\nX-Session-Name: ev\u0001il\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    },
    verdict: { outcome: 'error', error: 'unparseable' },
  },
  {
    name: 'not-http',
    response: { raw: 'SSH-2.0-OpenSSH_9.6\r\n' },
    verdict: { outcome: 'error', error: 'unparseable' },
  },
  {
    name: 'not-numbers',
    response: {
      status: 200,
      headers: { 'X-Session-Name': 'bob', 'X-AuthDuration': 'abc', 'X-Max-Sessions': '-1', 'X-Unique': 'maybe' },
    },
    verdict: {
      outcome: 'allow',
      info: { ...allInfo, sessionName: 'bob' },
      notes: [
        expect.stringContaining('x-authduration'),
        expect.stringContaining('x-max-sessions'),
        expect.stringContaining('x-unique'),
      ],
    },
  },
  {
    name: 'sanitized',
    response: {
      status: 200,
      headers: { 'X-Session-Name': utf8AsHeader('  Дима\tpro  '), 'X-UserId': 'u'.repeat(2000) },
    },
    verdict: { outcome: 'allow', info: { ...allInfo, sessionName: 'Дима pro', userId: 'u'.repeat(1024) }, notes: [] },
  },
  {
    name: 'body-allow',
    response: { status: 200, body: '{"result":{"status":"ok"}}' },
    settings: { body: jsonRule },
    verdict: { outcome: 'allow', info: allInfo, notes: [] },
  },
  {
    name: 'body-deny',
    response: { status: 200, body: '{"result":{"status":"expired"}}' },
    settings: { body: jsonRule },
    verdict: { outcome: 'deny', info: allInfo, notes: [] },
  },
  {
    name: 'body-cannot-overrule-a-refusal',
    response: { status: 403, body: '{"result":{"status":"ok"}}' },
    settings: { body: jsonRule },
    verdict: { outcome: 'deny', info: allInfo, notes: [] },
  },
  {
    name: 'body-xml',
    response: { status: 200, body: '<auth><result>1</result></auth>' },
    settings: { body: { format: 'xml', path: 'auth.result', allow: [1] } },
    verdict: { outcome: 'allow', info: allInfo, notes: [] },
  },
  {
    name: 'body-malformed',
    response: { status: 200, body: '{"result":{"status":' },
    settings: { body: jsonRule },
    verdict: { outcome: 'error', error: 'unparseable' },
  },
];

/** An Astra viewer whose query has more than the token, in bytes a middleware may sign. */
function viewer(token: string): ViewerRequest {
  return astraViewer(token, { rawQuery: `token=${token}&lang=en%20gb&x='"` });
}

const client = new MiddlewareClient();
afterAll(() => client.close());

describe.each(ADAPTERS)('adapter contract: $type', ({ backend, endpoint, style }) => {
  let server: ReplayServer;
  const exchanges: Exchange[] = SCENARIOS.map(({ name, response }) => ({
    request: { path: endpoint, query: { token: `contract-${name}` } },
    response,
  }));

  beforeAll(async () => {
    server = await startReplayServer(exchanges);
  });
  afterAll(() => server.close());

  function adapter(settings: Record<string, unknown> = {}, base = server.url): MiddlewareAdapter {
    return adapterFrom({ ...backend(base), ...settings }, client);
  }

  // Side by side: each scenario has a token of its own, and the timeouts among them wait at the same time.
  it.concurrent.for(SCENARIOS)('$name', async ({ name, settings, verdict }, { expect }) => {
    const answered = await check(adapter(settings), viewer(`contract-${name}`));
    if ((verdict as { outcome: string }).outcome === 'error') expect(answered).toMatchObject(verdict as object);
    else expect(answered).toEqual(verdict);
  });

  it('nothing listening → refused', async () => {
    const verdict = await check(adapter({}, `http://127.0.0.1:${await closedPort()}`), viewer('contract-allow'));
    expect(verdict).toMatchObject({ outcome: 'error', error: 'refused' });
  });

  it('an aborted signal cancels a check in flight', async () => {
    const before = server.received.length;
    const cancel = new AbortController();
    const pending = adapter({ timeoutMs: 30_000 }).check(viewer('contract-hang'), {
      deadline: Infinity,
      signal: cancel.signal,
    });
    await vi.waitFor(() => expect(server.received.length).toBeGreaterThan(before), { timeout: 10_000 });
    cancel.abort();
    expect(await pending).toMatchObject({ outcome: 'error', error: 'cancelled' });
  });

  it('the middleware receives exactly the endpoint and the viewer in its wire style', async () => {
    await check(adapter(), viewer('contract-allow'));
    const got = server.received.at(-1)!;
    expect(got.method).toBe('GET');
    expect(got.path).toBe(endpoint);
    if (style === 'cesbo') {
      expect(got.rawQuery).toBe(`token=contract-allow&lang=en%20gb&x='"`);
      expect(got.headers).toMatchObject({
        'x-session-id': '1001',
        'x-channel-id': 'a001',
        'x-real-ip': '203.0.113.7',
        'x-real-path': '/play/a001/index.m3u8',
        'x-real-ua': 'VLC/3.0.18',
        'x-real-host': 'tv.example.com',
      });
      expect(got.headers['x-real-origin']).toBeUndefined();
    } else {
      expect(got.query).toEqual({
        name: ['a001'],
        ip: ['203.0.113.7'],
        token: ['contract-allow'],
        proto: ['hls'],
        session_id: ['1001'],
        // The adapter is new: this is the first request for the session.
        request_type: ['new_session'],
        request_number: ['1'],
        user_agent: ['VLC/3.0.18'],
        host: ['tv.example.com'],
        qs: [`token=contract-allow&lang=en%20gb&x='"`],
      });
      expect(got.headers['x-real-ip']).toBeUndefined();
    }
  });

  it('user and password in the URL become HTTP Basic authentication, never part of the path', async () => {
    await check(adapter({}, server.url.replace('//', '//bridge:s%40cret@')), viewer('contract-allow'));
    const got = server.received.at(-1)!;
    expect(got.headers.authorization).toBe(`Basic ${Buffer.from('bridge:s@cret').toString('base64')}`);
    expect(got.path).toBe(endpoint);
  });
});
