import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MiddlewareClient } from '../../src/adapters/transport.js';
import type { MiddlewareAdapter } from '../../src/adapters/types.js';
import type { ViewerRequest } from '../../src/viewer.js';
import { closedPort, startReplayServer, type Exchange, type ReplayServer } from '../support/replayServer.js';
import { adapterFrom, astraViewer, BACKEND_TYPES, type BackendDocument, check } from './support.js';

/**
 * How a middleware is asked on the wire, as the wire-style test checks it. A middleware with a protocol of
 * its own adds its style here and a branch to that test (TypeScript refuses a style without one).
 */
type WireStyle = 'cesbo' | 'flussonic';

/** One middleware in the conformance suite: how it is configured and what the shared scenarios need of it. */
interface ContractRow {
  /** The suite's name for the row (a type, or a type with a setting). */
  readonly type: string;
  /** Its backend settings under a base URL. */
  readonly backend: (base: string) => BackendDocument;
  /** The path it asks under that base. */
  readonly endpoint: string;
  readonly style: WireStyle;
  /** The query parameter the viewer's token goes out in: each scenario's exchange is matched on it. */
  readonly tokenParameter: string;
  /**
   * For a middleware whose answer body decides: the body of a 2xx that allows and of one that denies.
   * A 2xx scenario without a body is sent with `allow`, and the fail-open guards run: a 2xx without it,
   * or with anything else, is never an allow. Absent: the status and headers decide (a bare 2xx allows).
   */
  readonly bodyDecides?: { readonly allow: string; readonly deny: string };
  /** Scenarios that cannot apply to it, each with why and which test covers the case instead. */
  readonly notApplicable?: Partial<Record<ScenarioName, string>>;
}

/** Every adapter type: how it is configured under a base URL, where it asks and in which wire style. */
const ADAPTERS: readonly ContractRow[] = [
  {
    type: 'http',
    backend: (base: string) => ({ type: 'http', url: `${base}/auth/check` }),
    endpoint: '/auth/check',
    style: 'cesbo',
    tokenParameter: 'token',
  },
  {
    type: 'flussonic',
    backend: (base: string) => ({ type: 'flussonic', url: `${base}/flussonic/auth` }),
    endpoint: '/flussonic/auth',
    style: 'flussonic',
    tokenParameter: 'token',
  },
  {
    type: 'ministra',
    backend: (base: string) => ({ type: 'ministra', url: `${base}/stalker_portal` }),
    endpoint: '/stalker_portal/server/api/chk_flussonic_tmp_link.php',
    style: 'flussonic',
    tokenParameter: 'token',
  },
  {
    type: 'iptvportal',
    backend: (base: string) => ({ type: 'iptvportal', url: base }),
    endpoint: '/auth/arescrypt/',
    style: 'cesbo',
    tokenParameter: 'token',
  },
  {
    type: 'iptvportal (protocol: flussonic)',
    backend: (base: string) => ({ type: 'iptvportal', url: base, protocol: 'flussonic' }),
    endpoint: '/auth/flussonic/arescrypt/',
    style: 'flussonic',
    tokenParameter: 'token',
  },
  {
    type: 'smarty',
    backend: (base: string) => ({ type: 'smarty', url: base }),
    endpoint: '/tvmiddleware/api/streamservice/token/check/',
    style: 'flussonic',
    tokenParameter: 'token',
  },
];

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

type ScenarioName =
  | 'allow'
  | 'allow-userid'
  | 'deny-401'
  | 'deny-403'
  | 'deny-404'
  | 'deny-429'
  | 'x-location'
  | 'redirect'
  | 'redirect-x-location-wins'
  | 'redirect-no-location'
  | 'server-error'
  | 'unavailable'
  | 'slow'
  | 'hang'
  | 'reset'
  | 'too-large'
  | 'too-large-chunked'
  | 'control-bytes'
  | 'not-http'
  | 'not-numbers'
  | 'sanitized'
  | 'body-allow'
  | 'body-deny'
  | 'body-cannot-overrule-a-refusal'
  | 'body-xml'
  | 'body-malformed';

interface Scenario {
  readonly name: ScenarioName;
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

/** A 2xx scenario without a body, sent to a middleware whose body decides with the body that allows. */
function withAllowBody(response: Exchange['response'], allowBody: string | undefined): Exchange['response'] {
  const status = response.status ?? 200;
  const bodiless = response.body === undefined && response.bodyBytes === undefined && response.raw === undefined;
  const twoHundred = status >= 200 && status < 300 && response.hang !== true && response.reset !== true;
  return allowBody !== undefined && bodiless && twoHundred ? { ...response, body: allowBody } : response;
}

/**
 * What makes a middleware whose body decides fail open: none of these 2xx may be an allow. The easy
 * way to green the shared scenarios (a 2xx allows unless its body says no) fails them.
 */
function failOpenGuards({ allow, deny }: { readonly allow: string; readonly deny: string }) {
  return [
    { name: 'fail-open guard: a 2xx without a body', response: { status: 200 } },
    { name: 'fail-open guard: a 2xx with an empty JSON object', response: { status: 200, body: '{}' } },
    { name: 'fail-open guard: a 2xx with an HTML error page', response: { status: 200, body: '<html>Busy' } },
    { name: 'fail-open guard: a 2xx with the deny body', response: { status: 200, body: deny }, deny: true },
    // `{"ok":false,"ok":true}`: JSON.parse keeps the last key, an allow; bodyRule.ts's parseAnswerBody refuses it.
    ...(/^\{.*\}$/s.test(deny) && /^\{.*\}$/s.test(allow)
      ? [
          {
            name: 'fail-open guard: a 2xx whose JSON names its verdict twice, the deny first',
            response: { status: 200, body: `${deny.slice(0, -1)},${allow.slice(1)}` },
          },
        ]
      : []),
  ].map((guard, i) => ({ ...guard, token: `contract-guard-${i}` }));
}

const client = new MiddlewareClient();
afterAll(() => client.close());

it('every backend type the config accepts has a row in the conformance suite', () => {
  expect(new Set(ADAPTERS.map((row) => row.backend('http://127.0.0.1').type))).toEqual(new Set(BACKEND_TYPES));
});

describe.each(ADAPTERS)('adapter contract: $type', (row) => {
  const { backend, endpoint, style, tokenParameter, bodyDecides, notApplicable = {} } = row;
  const scenarios = SCENARIOS.filter(({ name }) => notApplicable[name] === undefined);
  const guards = bodyDecides === undefined ? [] : failOpenGuards(bodyDecides);
  let server: ReplayServer;
  // The guards' answers go out as they are: they are the 2xx without the allow body.
  const exchanges: Exchange[] = [
    ...scenarios.map(({ name, response }) => ({
      token: `contract-${name}`,
      response: withAllowBody(response, bodyDecides?.allow),
    })),
    ...guards,
  ].map(({ token, response }) => ({ request: { path: endpoint, query: { [tokenParameter]: token } }, response }));

  beforeAll(async () => {
    server = await startReplayServer(exchanges);
  });
  afterAll(() => server.close());

  function adapter(settings: Record<string, unknown> = {}, base = server.url): MiddlewareAdapter {
    return adapterFrom({ ...backend(base), ...settings }, client);
  }

  // Side by side: each scenario has a token of its own, and the timeouts among them wait at the same time.
  it.concurrent.for(scenarios)('$name', async ({ name, settings, verdict }, { expect }) => {
    const answered = await check(adapter(settings), viewer(`contract-${name}`));
    if ((verdict as { outcome: string }).outcome === 'error') expect(answered).toMatchObject(verdict as object);
    else expect(answered).toEqual(verdict);
  });

  // A broken answer is an error (the route's default decides), never the allow a fail-open reading gives.
  if (guards.length > 0)
    it.concurrent.for(guards)('$name', async ({ token, deny }, { expect }) => {
      const answered = await check(adapter(), viewer(token));
      expect(answered.outcome).toBe(deny === true ? 'deny' : 'error');
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
    switch (style) {
      case 'cesbo':
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
        break;
      case 'flussonic':
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
        break;
      default: {
        // A style without a branch here fails typecheck, so no middleware's request goes unchecked.
        const unchecked: never = style;
        throw new Error(`no wire-style check for ${String(unchecked)}`);
      }
    }
  });

  it('user and password in the URL become HTTP Basic authentication, never part of the path', async () => {
    await check(adapter({}, server.url.replace('//', '//bridge:s%40cret@')), viewer('contract-allow'));
    const got = server.received.at(-1)!;
    expect(got.headers.authorization).toBe(`Basic ${Buffer.from('bridge:s@cret').toString('base64')}`);
    expect(got.path).toBe(endpoint);
  });
});
