import { once } from 'node:events';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBridge, type TestBridge } from '../../support/bridge.js';
import { useReplayedMiddleware } from '../../support/replayedMiddleware.js';
import { closedPort, type ReceivedRequest } from '../../support/replayServer.js';

const checkServer = useReplayedMiddleware('http');
const flussonicServer = useReplayedMiddleware('flussonic');
const blackhole = useReplayedMiddleware([{ request: { path: '/check' }, response: { hang: true } }]);
let bridge: TestBridge;

beforeAll(async () => {
  const refused = await closedPort();
  // The backends step on its own: no cache, no circuit breaker (test/pipeline/steps/cache.test.ts covers those).
  bridge = testBridge({
    cache: { enabled: false },
    backends: {
      check: { type: 'http', url: `${checkServer.url}/auth/check`, timeoutMs: 500, breaker: { failures: 0 } },
      checkJson: {
        type: 'http',
        url: `${checkServer.url}/auth/check`,
        timeoutMs: 500,
        body: { format: 'json', path: 'result.status', allow: ['ok'] },
        breaker: { failures: 0 },
      },
      checkXml: {
        type: 'http',
        url: `${checkServer.url}/auth/check`,
        timeoutMs: 500,
        body: { format: 'xml', path: 'auth.result', allow: [1] },
        breaker: { failures: 0 },
      },
      fl: { type: 'flussonic', url: `${flussonicServer.url}/flussonic/auth`, timeoutMs: 500, breaker: { failures: 0 } },
      down: { type: 'http', url: `http://127.0.0.1:${refused}/auth/check`, timeoutMs: 500, breaker: { failures: 0 } },
      blackhole: { type: 'http', url: `${blackhole.url}/check`, timeoutMs: 5000, breaker: { failures: 0 } },
      basic: {
        type: 'flussonic',
        url: `${flussonicServer.url.replace('//', '//bridge:p%40ss%20w@')}/flussonic/auth`,
        breaker: { failures: 0 },
      },
    },
    routes: {
      default: { backends: ['check'], denyRedirect: 'http://promo.example.com/default' },
      json: { backends: ['checkJson'] },
      xml: { backends: ['checkXml'] },
      fl: { backends: ['fl'] },
      openOnFailure: { backends: ['check'], default: 'allow' },
      down: { backends: ['down'] },
      any: { backends: ['down', 'check', 'fl'], mode: 'any' },
      sequential: { backends: ['down', 'check', 'fl'], mode: 'sequential' },
      budget: { backends: ['check'], timeoutMs: 150 },
      basic: { backends: ['basic'] },
      budgetAfterDeny: { backends: ['check', 'blackhole'], mode: 'any', default: 'allow', timeoutMs: 200 },
      redirects: { backends: ['check', 'fl'], mode: 'sequential', denyRedirect: 'http://promo.example.com/route' },
      unicodeRedirect: { backends: [], denyRedirect: 'http://promo.example.com/промо' },
    },
  });
});

afterAll(async () => {
  await bridge.close();
});

const astraHeaders = {
  'X-Session-ID': '1001',
  'X-Channel-ID': 'a001',
  'X-Real-IP': '203.0.113.7',
  'X-Real-Path': '/play/a001/index.m3u8',
  'X-Real-UA': 'VLC/3.0.18',
  'X-Real-Host': 'tv.example.com',
};

function lastReceived(server: { readonly received: readonly ReceivedRequest[] }) {
  return server.received.at(-1)!;
}

describe('http backend (Cesbo style)', () => {
  it('forwards the raw query and the X-* headers exactly', async () => {
    await request(bridge.app).get('/auth?token=good-token&lang=en%20gb').set(astraHeaders).expect(200);
    const got = lastReceived(checkServer);
    expect(got.path).toBe('/auth/check');
    expect(got.rawQuery).toBe('token=good-token&lang=en%20gb');
    expect(got.headers).toMatchObject({
      'x-session-id': '1001',
      'x-channel-id': 'a001',
      'x-real-ip': '203.0.113.7',
      'x-real-path': '/play/a001/index.m3u8',
      'x-real-ua': 'VLC/3.0.18',
      'x-real-host': 'tv.example.com',
    });
    expect(got.headers['x-real-origin']).toBeUndefined();
  });

  it("forwards Alta's X-Real-Origin", async () => {
    await request(bridge.app)
      .get('/auth?token=good-token')
      .set({
        'X-Session-ID': '5',
        'X-Real-IP': '198.51.100.1',
        'X-Real-Path': '/tv/sport/index.m3u8',
        'X-Real-Origin': 'https://tv.example.com:8443',
      })
      .expect(200);
    expect(lastReceived(checkServer).headers['x-real-origin']).toBe('https://tv.example.com:8443');
    // Alta sends no X-Channel-ID, so the backend gets none: the channel from the path is for local decisions.
    expect(lastReceived(checkServer).headers['x-channel-id']).toBeUndefined();
  });

  it.each([
    ['good-token', 200, { 'x-session-name': 'alice' }],
    ['userid-token', 200, { 'x-session-name': 'stb-1001' }],
    ['bad-token', 403, { 'x-location': 'http://promo.example.com/default' }],
    ['unauthorized-token', 403, {}],
    ['blocked-token', 403, { 'x-location': 'http://promo.example.com/blocked' }],
    ['expired-token', 403, { 'x-location': 'http://promo.example.com/renew' }],
    ['badnum-token', 200, { 'x-session-name': 'bob' }],
  ])('token %s → %i', async (token, status, headers) => {
    const res = await request(bridge.app).get(`/auth?token=${token}`).expect(status);
    expect(res.headers).toMatchObject(headers);
  });

  it('auth=login:password reaches the middleware as the viewer sent it', async () => {
    const res = await request(bridge.app).get('/auth?auth=dave:s3cret').expect(200);
    expect(res.headers['x-session-name']).toBe('dave');
    expect(lastReceived(checkServer).rawQuery).toBe('auth=dave:s3cret');
  });

  it('passes UTF-8 bytes of a session name through and drops the tab', async () => {
    const res = await request(bridge.app).get('/auth?token=utf8-token').expect(200);
    expect(Buffer.from(res.headers['x-session-name']!, 'latin1').toString('utf8')).toBe('Дима pro');
  });
});

describe('backend failures are errors, not denies: the route default decides', () => {
  it.each([
    ['crash-token', 'server-error'],
    ['gateway-token', 'server-error'],
    ['slow-token', 'timeout'],
    ['hang-token', 'timeout'],
    ['reset-token', 'reset'],
    ['huge-token', 'too-large'],
    ['huge-chunked-token', 'too-large'],
    ['ctl-token', 'unparseable'],
  ])('%s → %s → default deny with the route redirect, and the open route allows', async (token, kind) => {
    const lines = bridge.logs.length;
    const res = await request(bridge.app).get(`/auth?token=${token}`).expect(403);
    expect(res.headers['x-location']).toBe('http://promo.example.com/default');
    const logged = bridge.logs.slice(lines).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({ message: 'backend failed', backend: 'check', error: kind }),
    );
    expect(logged).toContainEqual(expect.objectContaining({ message: 'decision', decision: 'deny', by: 'default' }));
    await request(bridge.app).get(`/auth/openOnFailure?token=${token}`).expect(200);
  });

  it('connection refused → default', async () => {
    const lines = bridge.logs.length;
    await request(bridge.app).get('/auth/down?token=good-token').expect(403);
    expect(bridge.logs.slice(lines).join('\n')).toContain('"error":"refused"');
  });

  it('a request the middleware has no answer for (500) → default', async () => {
    await request(bridge.app).get('/auth?token=never-recorded').expect(403);
  });

  it('the route budget cuts a slow backend short', async () => {
    const started = Date.now();
    const res = await request(bridge.app).get('/auth/budget?token=slow-token').expect(403);
    expect(res.text).toBe('deny\n');
    // Generous bound: proves the 3 s fixture was not waited for, without timing the machine.
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('a backend the budget cut short is logged as cancelled by the budget', async () => {
    const lines = bridge.logs.length;
    await request(bridge.app).get('/auth/budget?token=slow-token').expect(403);
    const failed = bridge.logs.slice(lines).filter((line) => line.includes('backend failed'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain('"error":"cancelled"');
    expect(failed[0]).toContain('budget');
  });

  it('a deny already received still counts when the budget runs out on another backend', async () => {
    const lines = bridge.logs.length;
    await request(bridge.app).get('/auth/budgetAfterDeny?token=bad-token').expect(403);
    expect(bridge.logs.slice(lines).join('\n')).toContain('"by":"backend:check"');
    await request(bridge.app).get('/auth/budgetAfterDeny?token=good-token').expect(200);
  });

  it('no log line carries a token or the middleware URL query', () => {
    const all = bridge.logs.join('\n');
    expect(all).not.toMatch(/good-token|crash-token|hang-token|s3cret/);
  });
});

describe('raw query and non-ASCII text', () => {
  const utf8AsHeader = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
  const headerAsText = (value: string | string[] | undefined) => Buffer.from(String(value), 'latin1').toString('utf8');

  it('passes the raw query byte for byte', async () => {
    // Sent with node:http: supertest would percent-encode the quotes and brackets itself.
    const server = createServer(bridge.app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const query = `token=good-token&note=a'b"<c>&x=%7e+1`;
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: `/auth?${query}`, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });
    server.close();
    expect(status).toBe(200);
    expect(lastReceived(checkServer).rawQuery).toBe(query);
  });

  it("a Flussonic caller's Cyrillic channel and user agent reach a Cesbo-style backend as UTF-8", async () => {
    await request(bridge.app)
      .get(
        `/flussonic?name=${encodeURIComponent('первый-hd')}&user_agent=${encodeURIComponent('Плеер 1.0')}&token=good-token`,
      )
      .expect(200);
    const got = lastReceived(checkServer);
    expect(headerAsText(got.headers['x-channel-id'])).toBe('первый-hd');
    expect(headerAsText(got.headers['x-real-ua'])).toBe('Плеер 1.0');
  });

  it("an Astra caller's UTF-8 path and user agent reach a Flussonic-style backend once encoded", async () => {
    await request(bridge.app)
      .get('/auth/fl?token=named-token')
      .set({ 'X-Real-Path': utf8AsHeader('/tv/первый/index.m3u8'), 'X-Real-UA': utf8AsHeader('Плеер') })
      .expect(200);
    expect(lastReceived(flussonicServer).query).toMatchObject({
      name: ['первый'],
      user_agent: ['Плеер'],
      proto: ['hls'],
    });
  });

  it('a percent-encoded path gives the decoded channel', async () => {
    // The fixture allows channel a001 only; what matters here is the name the backend was sent.
    await request(bridge.app)
      .get('/auth/fl?token=good-token')
      .set('X-Real-Path', '/tv/%D0%BF%D0%B5%D1%80%D0%B2%D1%8B%D0%B9/index.m3u8')
      .expect(403);
    expect(lastReceived(flussonicServer).query.name).toEqual(['первый']);
  });

  it('a non-ASCII denyRedirect is answered percent-encoded', async () => {
    const res = await request(bridge.app).get('/auth/unicodeRedirect').expect(403);
    expect(res.headers['x-location']).toBe('http://promo.example.com/%D0%BF%D1%80%D0%BE%D0%BC%D0%BE');
  });
});

describe('redirects', () => {
  it('a backend redirect wins over the route denyRedirect, even from a later backend', async () => {
    const res = await request(bridge.app).get('/auth/redirects?token=blocked-token').expect(403);
    expect(res.headers['x-location']).toBe('http://promo.example.com/blocked');
  });

  it('the route denyRedirect when no denying backend gave one', async () => {
    const res = await request(bridge.app).get('/auth/redirects?token=bad-token').expect(403);
    expect(res.headers['x-location']).toBe('http://promo.example.com/route');
  });
});

describe('body rules', () => {
  it.each([
    ['json', 'json-ok', 200],
    ['json', 'json-fail', 403],
    ['json', 'json-broken', 403],
    ['xml', 'xml-ok', 200],
    ['xml', 'xml-fail', 403],
    ['xml', 'xml-broken', 403],
    ['json', 'bad-token', 403],
    ['json', 'json-bom', 200],
    ['xml', 'xml-deep', 403],
  ])('route %s, token %s → %i', async (route, token, status) => {
    await request(bridge.app).get(`/auth/${route}?token=${token}`).expect(status);
  });

  it('a malformed body is logged as an error, not a deny', async () => {
    const lines = bridge.logs.length;
    await request(bridge.app).get('/auth/json?token=json-broken').expect(403);
    await request(bridge.app).get('/auth/xml?token=xml-deep').expect(403);
    const failures = bridge.logs.slice(lines).filter((line) => line.includes('backend failed'));
    expect(failures).toHaveLength(2);
    for (const line of failures) expect(line).toContain('"error":"unparseable"');
  });
});

describe('flussonic backend (Flussonic style)', () => {
  it('sends the viewer as query parameters', async () => {
    await request(bridge.app)
      .get('/auth/fl?token=good-token')
      .set({ ...astraHeaders, 'X-Session-ID': 'first-seen' })
      .expect(200);
    const got = lastReceived(flussonicServer);
    expect(got.path).toBe('/flussonic/auth');
    expect(got.query).toEqual({
      name: ['a001'],
      ip: ['203.0.113.7'],
      token: ['good-token'],
      proto: ['hls'],
      session_id: ['first-seen'],
      request_type: ['new_session'],
      request_number: ['1'],
      user_agent: ['VLC/3.0.18'],
      host: ['tv.example.com'],
      qs: ['token=good-token'],
    });
    await request(bridge.app)
      .get('/auth/fl?token=good-token')
      .set({ ...astraHeaders, 'X-Session-ID': 'first-seen' })
      .expect(200);
    expect(lastReceived(flussonicServer).query).toMatchObject({
      request_type: ['update_session'],
      request_number: ['2'],
    });
  });

  it("relays a Flussonic caller's parameters", async () => {
    const res = await request(bridge.app)
      .get(
        '/flussonic/fl?name=a001&ip=203.0.113.7&token=good-token&proto=dash&session_id=s9&request_type=update_session&request_number=4&user_agent=Kodi&referer=http%3A%2F%2Fsite%2F&host=tv.example.com&qs=token%3Dgood-token%26x%3D1',
      )
      .expect(200);
    expect(lastReceived(flussonicServer).query).toEqual({
      name: ['a001'],
      ip: ['203.0.113.7'],
      token: ['good-token'],
      proto: ['dash'],
      session_id: ['s9'],
      request_type: ['update_session'],
      request_number: ['4'],
      user_agent: ['Kodi'],
      referer: ['http://site/'],
      host: ['tv.example.com'],
      qs: ['token=good-token&x=1'],
    });
    expect(res.headers).toMatchObject({
      'x-authduration': '120',
      'x-userid': '42',
      'x-max-sessions': '2',
      'x-unique': 'true',
    });
  });

  it('user and password in the backend URL are sent as HTTP Basic authentication', async () => {
    await request(bridge.app).get('/auth/basic?token=named-token').expect(200);
    expect(lastReceived(flussonicServer).headers.authorization).toBe(
      `Basic ${Buffer.from('bridge:p@ss w').toString('base64')}`,
    );
    await request(bridge.app).get('/auth/fl?token=named-token').expect(200);
    expect(lastReceived(flussonicServer).headers.authorization).toBeUndefined();
  });

  it.each([
    ['named-token', 200, { 'x-session-name': 'erin', 'x-userid': '77' }],
    ['bad-token', 403, { 'x-authduration': '30' }],
    ['blocked-token', 403, { 'x-location': 'http://promo.example.com/flussonic' }],
    ['crash-token', 403, { 'x-authduration': '30' }],
  ])('token %s → %i', async (token, status, headers) => {
    const res = await request(bridge.app).get(`/flussonic/fl?name=a001&token=${token}`).expect(status);
    expect(res.headers).toMatchObject(headers);
  });
});

describe('route modes', () => {
  it('any: asks every backend at once, the first allow wins', async () => {
    const before = flussonicServer.received.length;
    const res = await request(bridge.app).get('/auth/any?token=good-token').set(astraHeaders).expect(200);
    expect(['alice', '42']).toContain(res.headers['x-session-name']);
    expect(flussonicServer.received.length).toBe(before + 1);
  });

  it('any: an allow cancels the slower backends', async () => {
    const lines = bridge.logs.length;
    const res = await request(bridge.app).get('/auth/any?token=slow-token').set(astraHeaders).expect(200);
    expect(res.headers['x-session-name']).toBe('slowpoke');
    const logged = bridge.logs.slice(lines).join('\n');
    expect(logged).not.toContain('"backend":"check"');
  });

  it('any: a deny and errors → deny', async () => {
    await request(bridge.app).get('/auth/any?token=bad-token').expect(403);
  });

  it('any: every backend failing → default', async () => {
    const lines = bridge.logs.length;
    await request(bridge.app).get('/auth/any?token=crash-token').expect(403);
    const failed = bridge.logs.slice(lines).filter((line) => line.includes('backend failed'));
    expect(failed).toHaveLength(3);
  });

  it('sequential: asks in order, past errors and denies, until one allows', async () => {
    const checkBefore = checkServer.received.length;
    const flBefore = flussonicServer.received.length;
    const res = await request(bridge.app).get('/auth/sequential?token=named-token').expect(200);
    expect(res.headers['x-session-name']).toBe('erin');
    expect(checkServer.received.length).toBe(checkBefore + 1);
    expect(flussonicServer.received.length).toBe(flBefore + 1);
  });

  it('sequential: stops at the first allow', async () => {
    const flBefore = flussonicServer.received.length;
    await request(bridge.app).get('/auth/sequential?token=good-token').expect(200);
    expect(flussonicServer.received.length).toBe(flBefore);
  });

  it('sequential: denies when one denied and none allowed', async () => {
    await request(bridge.app).get('/auth/sequential?token=bad-token').expect(403);
  });
});
