import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestListener } from '../../src/server/app.js';
import type { Decider } from '../../src/pipeline/types.js';
import { useReplayedMiddleware } from '../support/replayedMiddleware.js';
import { memoryLogger, testBridge, type TestBridge } from '../support/bridge.js';

const middleware = useReplayedMiddleware([
  {
    request: { path: '/check', query: { token: 'good' } },
    response: {
      status: 200,
      headers: {
        'X-Session-Name': 'alice',
        'X-UserId': '42',
        'X-AuthDuration': '120',
        'X-Max-Sessions': '3',
        'X-Unique': 'true',
      },
    },
  },
  { request: { path: '/check' }, response: { status: 403, headers: { 'X-Location': 'http://promo.example.com/x' } } },
]);
let bridge: TestBridge;

/** A GET with raw headers, repeated names kept as given (supertest would fold them into one). */
async function rawGet(app: RequestListener, path: string, rawHeaders: string[]) {
  const server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
    for (let i = 0; i < rawHeaders.length; i += 2) lines.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`);
    const socket = connect(port, '127.0.0.1');
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    let text = '';
    for await (const chunk of socket) text += chunk;
    const [head, body] = text.split('\r\n\r\n') as [string, string];
    return { status: Number(head.split(' ')[1]), body };
  } finally {
    server.close();
  }
}

beforeAll(async () => {
  bridge = testBridge({
    // Every request reaches the middleware, so tests can read what it received.
    cache: { enabled: false },
    backends: { mw: { type: 'http', url: `${middleware.url}/check` } },
    routes: { default: { backends: ['mw'] }, vod: { backends: [], default: 'allow' } },
  });
});
afterAll(async () => {
  await bridge.close();
});

describe('routes', () => {
  it('answers /healthz', async () => {
    const health = await request(bridge.app).get('/healthz').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', store: { store: 'memory', ok: true } });
  });

  it.each(['/auth', '/auth/', '/auth/default', '/flussonic', '/flussonic/default'])(
    '%s is the default route',
    async (path) => {
      await request(bridge.app).get(`${path}?token=good`).expect(200);
    },
  );

  it('a named route applies its own settings', async () => {
    await request(bridge.app).get('/auth/vod').expect(200);
    await request(bridge.app).get('/flussonic/vod').expect(200);
  });

  it.each([
    '/auth/unknown',
    '/auth/..%2Fdefault',
    '/auth/%2e%2e',
    '/auth/default%2Fx',
    '/auth/__proto__',
    '/auth/constructor',
    '/auth/default/extra',
    '/auth/./default/..',
    '/flussonic/nope',
    '/',
    '/favicon.ico',
  ])('%s answers 404 without asking a backend', async (path) => {
    const before = middleware.received.length;
    const res = await request(bridge.app).get(`${path}?token=good`);
    expect(res.status).toBe(404);
    expect(middleware.received.length).toBe(before);
  });

  it('broken percent-encoding in the route name is a 400', async () => {
    await request(bridge.app).get('/auth/%E0%A4%A').expect(400);
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await request(bridge.app).head('/auth?token=good').expect(200);
    expect(res.headers['x-session-name']).toBe('alice');
    await request(bridge.app).head('/auth?token=bad').expect(403);
  });

  it.each(['post', 'put', 'delete'] as const)('%s is refused with 405, and logged', async (method) => {
    const lines = bridge.logs.length;
    const res = await request(bridge.app)[method]('/auth?token=good').expect(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(bridge.logs.slice(lines).join('\n')).toContain('"status":405');
  });
});

describe('the decision log', () => {
  it("masks the secrets of a channel name that carries a query (the viewer chooses the stream's name)", async () => {
    await request(bridge.app)
      .post('/srs')
      .set('content-type', 'application/json')
      .send({ action: 'on_play', client_id: 7, stream: 'a001?token=good-LEAK4', param: '?token=good' })
      .expect(200);
    const line = bridge.logs.find((logged) => logged.includes('"dialect":"srs"'));
    expect(line).toContain('"channel":"a001?token=***"');
    expect(bridge.logs.join('\n')).not.toContain('LEAK4');
  });
});

describe('answers per dialect', () => {
  it('Cesbo allow: 200 with X-Session-Name, nothing Flussonic-only', async () => {
    const res = await request(bridge.app).get('/auth?token=good').set('X-Real-IP', '203.0.113.7').expect(200);
    expect(res.headers['x-session-name']).toBe('alice');
    expect(res.headers['content-length']).toBe('6');
    expect(res.headers['transfer-encoding']).toBeUndefined();
    expect(res.headers['x-authduration']).toBeUndefined();
    expect(res.headers['x-location']).toBeUndefined();
  });

  it('Cesbo deny: 403 with X-Location', async () => {
    const res = await request(bridge.app).get('/auth?token=bad').expect(403);
    expect(res.headers['x-location']).toBe('http://promo.example.com/x');
    expect(res.headers['x-session-name']).toBeUndefined();
  });

  it('Flussonic allow carries X-AuthDuration, X-UserId, X-Max-Sessions, X-Unique', async () => {
    const res = await request(bridge.app).get('/flussonic?name=a001&token=good&ip=203.0.113.7').expect(200);
    expect(res.headers).toMatchObject({
      'x-session-name': 'alice',
      'x-authduration': '120',
      'x-userid': '42',
      'x-max-sessions': '3',
      'x-unique': 'true',
    });
  });

  it('Flussonic deny carries the deny TTL as X-AuthDuration', async () => {
    const res = await request(bridge.app).get('/flussonic?name=a001&token=bad').expect(403);
    expect(res.headers['x-authduration']).toBe('30');
    expect(res.headers['x-location']).toBe('http://promo.example.com/x');
  });
});

describe('trusted callers', () => {
  it('refuses a caller outside trustedCallers with 403 and asks no backend', async () => {
    const strict = testBridge({
      trustedCallers: ['10.0.0.0/8', '2001:db8::/32'],
      backends: { mw: { type: 'http', url: `${middleware.url}/check` } },
    });
    const before = middleware.received.length;
    const res = await request(strict.app).get('/auth?token=good').set('X-Real-IP', '10.1.2.3').expect(403);
    expect(res.text).toContain('trustedCallers');
    await request(strict.app).get('/flussonic?token=good').expect(403);
    expect(middleware.received.length).toBe(before);
    await request(strict.app).get('/healthz').expect(200);
    await strict.close();
  });

  it('accepts a caller in a listed single address or CIDR', async () => {
    const single = testBridge({ trustedCallers: ['127.0.0.1'], routes: { default: { default: 'allow' } } });
    await request(single.app).get('/auth').expect(200);
    await single.close();
  });
});

describe('bad input gets a clear 4xx and the bridge keeps serving', () => {
  it.each([
    ['/auth?token=%zz', 400, 'percent-encoding'],
    ['/auth?token=%E0%A4%A', 400, 'percent-encoding'],
    ['/auth?token=a&token=b', 400, 'more than once'],
    ['/auth?auth=a:b&auth=c:d', 400, 'more than once'],
    [`/auth?token=${'x'.repeat(9000)}`, 400, 'longer than 8192'],
    ['/flussonic?name=a&name=b', 400, 'more than once'],
    ['/flussonic?ip=not-an-ip', 403, 'ip is not an IP'],
    ['/flussonic?qs=token%3D%25zz', 400, 'percent-encoding'],
    ['/flussonic?token=%ZZ', 400, 'percent-encoding'],
  ])('%s → %i', async (path, status, reason) => {
    const before = middleware.received.length;
    const res = await request(bridge.app).get(path);
    expect(res.status).toBe(status);
    expect(res.text).toContain(reason);
    expect(middleware.received.length).toBe(before);
  });

  it('Flussonic: a token given apart from qs reaches Cesbo-style backends in the viewer query', async () => {
    await request(bridge.app).get('/flussonic?token=good&qs=lang%3Den').expect(200);
    expect(middleware.received.at(-1)!.rawQuery).toBe('lang=en&token=good');
  });

  it('Flussonic: a token only in qs is the token; token and qs must agree', async () => {
    await request(bridge.app).get('/flussonic?qs=token%3Dgood').expect(200);
    await request(bridge.app).get('/flussonic?token=good&qs=token%3Dgood%26x%3D1').expect(200);
    const before = middleware.received.length;
    const res = await request(bridge.app).get('/flussonic?token=bad&qs=token%3Dgood').expect(400);
    expect(res.text).toContain('token and the token in qs differ');
    await request(bridge.app).get('/flussonic?qs=token%3Da%26token%3Db').expect(400);
    // An empty token in qs beside token=good would reach a Cesbo-style backend as token=&token=good.
    const empty = await request(bridge.app).get('/flussonic?token=good&qs=token%3D').expect(400);
    expect(empty.text).toContain('token and the token in qs differ');
    expect(middleware.received.length).toBe(before);
  });

  it.each(['not-an-ip', '1.2.3', '999.1.1.1', '1.2.3.4, 5.6.7.8', 'localhost', '::g', '<script>'])(
    'X-Real-IP %j → 403, the viewer is not let in',
    async (ip) => {
      const res = await request(bridge.app).get('/auth?token=good').set('X-Real-IP', ip).expect(403);
      expect(res.text).toBe('X-Real-IP is not an IP address\n');
    },
  );

  it.each([
    // nginx auth_request (X-Original-URI) is refused with 403: nginx reads a 400 as its own error, a 500 to the viewer.
    ['X-Original-URI', ['/a/c1/index.m3u8?token=good', '/b/c2/index.m3u8?token=bad'], 403],
    ['X-Session-ID', ['1', '2'], 400],
    ['X-Real-Path', ['/tv/a001/index.m3u8', '/tv/a002/index.m3u8'], 400],
    ['X-Real-UA', ['VLC/3.0', 'Kodi'], 400],
  ] as const)(
    'a viewer header given twice (%s) is refused, not joined into one value',
    async (name, values, status) => {
      const before = middleware.received.length;
      const answer = await rawGet(bridge.app, '/auth?token=good', [name, values[0], name, values[1]]);
      expect(answer).toEqual({ status, body: `the ${name.toLowerCase()} header is given more than once\n` });
      expect(middleware.received.length).toBe(before);
    },
  );

  it('a user agent with ", " in it, given once, is no repeated header', async () => {
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)';
    const answer = await rawGet(bridge.app, '/auth?token=good', ['X-Real-UA', ua]);
    expect(answer.status).toBe(200);
    expect(middleware.received.at(-1)!.headers['x-real-ua']).toBe(ua);
  });

  it('token[] is refused, not passed on: PHP reads it as the token (an array it fails on with a 500), the bridge saw none', async () => {
    const before = middleware.received.length;
    const res = await request(bridge.app).get('/auth?token[]=good&token[1]=x').expect(400);
    expect(res.text).toMatch(/query parameter "token" is given as token\[…\]/);
    expect(middleware.received).toHaveLength(before);
  });

  it('IPv6 and IPv4-mapped viewer addresses are normalized', async () => {
    await request(bridge.app).get('/auth?token=good').set('X-Real-IP', '::ffff:203.0.113.9').expect(200);
    expect(middleware.received.at(-1)!.headers['x-real-ip']).toBe('203.0.113.9');
    await request(bridge.app).get('/auth?token=good').set('X-Real-IP', '2001:DB8:0:0::1').expect(200);
    expect(middleware.received.at(-1)!.headers['x-real-ip']).toBe('2001:db8::1');
  });

  it('still serves after all of that', async () => {
    await request(bridge.app).get('/auth?token=good').expect(200);
  });
});

describe('an internal failure is a deny, never a 5xx', () => {
  const broken: Decider = {
    hasRoute: () => true,
    decide: () => Promise.reject(new Error('bug in a step')),
  };
  const lines: string[] = [];
  const app = createRequestListener({
    decider: broken,
    trustedCallers: ['127.0.0.0/8'],
    maxQueryBytes: 8192,
    log: memoryLogger(lines),
  });

  it('answers 403 and logs the error and the decision', async () => {
    const res = await request(app).get('/auth?token=x').expect(403);
    expect(res.text).toContain('could not decide');
    expect(lines.join('\n')).toContain('bug in a step');
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ message: 'decision', decision: 'deny', by: 'internal-error', status: 403 }),
    );
  });

  it('a malformed request path is refused and logged', async () => {
    await request(app).get('/auth/%E0%A4%A').expect(400);
    expect(lines.at(-1)).toContain('malformed request path');
  });
});

describe('decision log', () => {
  it('writes one line per decision with route, channel, ip, decision, deciding step, latency', async () => {
    const lines = bridge.logs.length;
    await request(bridge.app)
      .get('/auth/default?token=good')
      .set({ 'X-Real-IP': '203.0.113.7', 'X-Real-Path': '/tv/travel-channel/index.m3u8', 'X-Session-ID': '77' })
      .expect(200);
    const written = bridge.logs.slice(lines).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      message: 'decision',
      route: 'default',
      dialect: 'cesbo',
      channel: 'travel-channel',
      ip: '203.0.113.7',
      session: '77',
      decision: 'allow',
      by: 'backend:mw',
      status: 200,
    });
    expect(written[0]!.latencyMs).toEqual(expect.any(Number));
  });

  it('never writes a token or password in clear', async () => {
    await request(bridge.app).get('/auth?token=sup3r-secret-token-value').expect(403);
    await request(bridge.app).get('/auth?auth=carol:pa55w0rd-in-clear').expect(403);
    await request(bridge.app)
      .get('/flussonic?token=another-secret-token&qs=auth%3Dcarol%3Apa55w0rd-in-clear')
      .expect(403);
    const all = bridge.logs.join('\n');
    expect(all).not.toContain('sup3r-secret-token-value');
    expect(all).not.toContain('another-secret-token');
    expect(all).not.toContain('pa55w0rd-in-clear');
    expect(all).toContain('"login":"carol"');
  });
});
