import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenAdmin, type RunningAdmin } from '../../src/admin/server.js';
import { memoryLogger } from '../support/bridge.js';
import { logLines } from '../support/logLines.js';
import { startOperatedBridge, type OperatedBridge } from '../support/operations.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

const TOKEN = 'test-admin-token-0123456789';
let middleware: ReplayServer;
let bridge: OperatedBridge;

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'));
  bridge = await startOperatedBridge(
    { admin: { token: TOKEN }, backends: { check: { type: 'http', url: `${middleware.url}/auth/check` } } },
    {
      actions: () => ({
        flush: async (route) => ({ flushed: route ?? 'all' }),
        revoke: async (target) => ({ revoked: Object.keys(target)[0] }),
      }),
    },
  );
});

afterAll(async () => {
  await bridge.close();
  await middleware.close();
});

const bearer = { Authorization: `Bearer ${TOKEN}` };
const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${bridge.admin}${path}`, { redirect: 'manual', ...init });

describe('admin auth', () => {
  it.each(['/admin/status', '/admin/sessions', '/admin/stats', '/admin/trace?route=default'])(
    '%s without a token answers 401 with a Bearer challenge',
    async (path) => {
      const res = await admin(path);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(await res.json()).toEqual({ error: expect.stringMatching(/admin token required/) });
    },
  );

  it.each([
    ['a wrong token', { Authorization: 'Bearer test-admin-token-0123456780' }],
    ['a prefix of the token', { Authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['the token with more after it', { Authorization: `Bearer ${TOKEN}x` }],
    ['the token as Basic credentials', { Authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` }],
    ['the token as the cookie itself', { Cookie: `iab_admin=${TOKEN}` }],
  ])('refuses %s', async (_what, headers) => {
    expect((await admin('/admin/status', { headers })).status).toBe(401);
  });

  it('answers with the right token', async () => {
    const res = await admin('/admin/status', { headers: bearer });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ version: expect.any(String), readiness: 'serving' });
  });

  it('POST routes need the token too, before their body is looked at', async () => {
    const res = await admin('/admin/cache/flush', { method: 'POST', body: 'not json at all' });
    expect(res.status).toBe(401);
  });

  it('serves /metrics and /ready without a token', async () => {
    expect((await admin('/metrics')).status).toBe(200);
    const ready = await admin('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('serving\n');
  });

  it('shows the page only with a token: a browser trades ?token= for an HttpOnly, SameSite=Strict cookie', async () => {
    const bare = await admin('/');
    expect(bare.status).toBe(401);
    expect(await bare.text()).toContain('/?token=');
    // A wrong token in the link: a page saying so, as a browser shows it, and no cookie.
    const wrong = await admin('/?token=wrong-token-but-long-enough');
    expect([wrong.status, wrong.headers.get('content-type'), wrong.headers.get('set-cookie')]).toEqual([
      401,
      'text/html; charset=utf-8',
      null,
    ]);
    expect(await wrong.text()).toContain('That is not the admin token of this bridge');
    // Given twice (the right one first or last), refused as any admin parameter is, and no cookie.
    for (const twice of [`/?token=${TOKEN}&token=x`, `/?token=x&token=${TOKEN}`]) {
      const refused = await admin(twice);
      expect([refused.status, await refused.json(), refused.headers.get('set-cookie')]).toEqual([
        400,
        { error: 'token: given more than once' },
        null,
      ]);
    }

    const exchange = await admin(`/?token=${TOKEN}`);
    expect(exchange.status).toBe(303);
    expect(exchange.headers.get('location')).toBe('/');
    const cookie = exchange.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^iab_admin=\d+\.[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=86400$/);
    expect(cookie).not.toContain(TOKEN);

    const value = cookie.split(';')[0]!;
    const page = await admin('/', { headers: { Cookie: `other=1; ${value}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('<title>iptv-auth-bridge status</title>');
    // The page's own requests carry the cookie, not the token.
    expect((await admin('/admin/status', { headers: { Cookie: value } })).status).toBe(200);
    expect((await admin('/admin/cache/flush', { method: 'POST', headers: { Cookie: value } })).status).toBe(200);
  });
});

describe('the two listeners stay apart', () => {
  it.each(['/metrics', '/ready', '/admin/status', '/admin/cache/flush', '/'])(
    'the decision listener does not serve %s',
    async (path) => {
      const res = await fetch(`${bridge.decisions}${path}`, { headers: bearer });
      expect(res.status).toBe(404);
    },
  );

  it.each(['/auth?token=good-token', '/auth/default?token=good-token', '/flussonic?token=good-token', '/healthz'])(
    'the admin listener does not serve %s',
    async (path) => {
      const res = await admin(path, { headers: bearer });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: 'not found (decision routes are served on the decision listener, not here)',
      });
      expect(middleware.received.some((r) => r.rawQuery.includes('good-token'))).toBe(false);
    },
  );

  it('a mistyped admin path is not taken for a decision route', async () => {
    const res = await admin('/admin/status/', { headers: bearer });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^not found \(the admin routes are listed in the README/,
    );
  });
});

describe('admin requests that are wrong', () => {
  it.each([
    // The routes that change something answer POST only: a link, an image or a prefetch changes nothing.
    ['GET', '/admin/revoke', 'POST'],
    ['GET', '/admin/cache/flush', 'POST'],
    ['GET', '/admin/reload', 'POST'],
    ['HEAD', '/admin/reload', 'POST'],
    ['PUT', '/admin/cache/flush', 'POST'],
    ['POST', '/admin/status', 'GET, HEAD'],
    ['DELETE', '/metrics', 'GET, HEAD'],
    ['POST', '/admin/sessions', 'GET, HEAD'],
  ])('%s %s answers 405 with Allow', async (method, path, allow) => {
    const res = await admin(path, { method, headers: bearer });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
  });

  it.each([
    ['text/plain', '{"token":"x"}', 415, /Content-Type: application\/json/],
    ['application/json', '{"token":', 400, /not valid JSON/],
    ['application/json', '[]', 400, /exactly one of token, login or userId/],
    ['application/json', '{"token":"a","login":"b"}', 400, /exactly one/],
    ['application/json', '{"token":""}', 400, /non-empty string/],
    ['application/json', '{"token":5}', 400, /non-empty string/],
    ['application/json', '{"password":"x"}', 400, /exactly one/],
    ['application/json', `{"token":"${'x'.repeat(20_000)}"}`, 413, /larger than 16384 bytes/],
  ])('revoke with a %s body %s answers %i', async (type, body, status, message) => {
    const res = await admin('/admin/revoke', { method: 'POST', headers: { ...bearer, 'Content-Type': type }, body });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it.each([
    ['{"route":"nosuch"}', 404, /no route named "nosuch"/],
    ['{"route":7}', 400, /route: expected a route name/],
    ['{"routes":["default"]}', 400, /expected a JSON object \{\}/],
    ['null', 400, /expected a JSON object/],
  ])('flush with %s answers %i', async (body, status, message) => {
    const res = await admin('/admin/cache/flush', {
      method: 'POST',
      headers: { ...bearer, 'Content-Type': 'application/json' },
      body,
    });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it('a revoke and a flush through the admin listener each leave a line in the log', async () => {
    const post = (path: string, body: string) =>
      admin(path, { method: 'POST', headers: { ...bearer, 'Content-Type': 'application/json' }, body });
    expect((await post('/admin/revoke', '{"login":"alice"}')).status).toBe(200);
    expect((await post('/admin/cache/flush', '{"route":"default"}')).status).toBe(200);
    const lines = logLines(bridge.logs.join('\n'));
    expect(lines).toContainEqual(expect.objectContaining({ message: 'revoked', login: 'alice' }));
    expect(lines).toContainEqual(expect.objectContaining({ message: 'cache flushed', route: 'default' }));
  });

  it('a route whose action this bridge was not given answers 404 saying so', async () => {
    const res = await admin('/admin/reload', { method: 'POST', headers: bearer });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'reload is not available in this bridge' });
  });

  it('an unknown path answers 404, garbage on the wire 400 in JSON, and the listener keeps serving', async () => {
    expect((await admin('/admin/nothing', { headers: bearer })).status).toBe(404);
    const answer = await sendRaw(Number(new URL(bridge.admin).port), 'NOT HTTP AT ALL\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('\r\nContent-Type: application/json; charset=utf-8\r\n');
    expect(bodyOf(answer)).toEqual({ error: 'malformed HTTP request' });
    expect((await admin('/ready')).status).toBe(200);
  });

  it('a CONNECT answers 405 in JSON with Allow, where Node would close without a word', async () => {
    const answer = await sendRaw(
      Number(new URL(bridge.admin).port),
      'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(answer).toContain('\r\nAllow: GET, HEAD, POST\r\n');
    expect(bodyOf(answer)).toEqual({ error: 'CONNECT is not answered here' });
    expect((await admin('/ready')).status).toBe(200);
  });

  it('an unsupported Expect answers 417 in JSON; a request without Host is answered as an HTTP/1.0 one is', async () => {
    const port = Number(new URL(bridge.admin).port);
    const expectation = await sendRaw(port, 'GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 200-ok\r\n\r\n');
    expect(expectation).toMatch(/^HTTP\/1\.1 417 Expectation Failed\r\n/);
    expect(expectation).toContain('\r\nConnection: close\r\n');
    expect(bodyOf(expectation)).toEqual({ error: 'unsupported Expect header' });
    const hostless = await sendRaw(port, 'GET /admin/status HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(hostless).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(bodyOf(hostless)).toMatchObject({ error: expect.stringContaining('admin token required') });
    const ready = await sendRaw(port, 'GET /ready HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(ready).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it('a head over 16 KiB answers 431 in JSON', async () => {
    const answer = await sendRaw(
      Number(new URL(bridge.admin).port),
      `GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'x'.repeat(20_000)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(bodyOf(answer)).toEqual({ error: 'request headers too large' });
  });
});

/** Writes `bytes` on a fresh connection and resolves with everything the listener sent before it closed. */
function sendRaw(port: number, bytes: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

function bodyOf(answer: string): unknown {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
}

describe('a request head that does not come in time', () => {
  let running: RunningAdmin;
  let port: number;
  const logs: string[] = [];

  beforeAll(async () => {
    // The listener's own timing, shortened: the answer is waited for as the socket's close, never slept for.
    running = (await listenAdmin((_req, res) => res.end('answered\n'), {
      host: '127.0.0.1',
      port: 0,
      explicit: true,
      log: memoryLogger(logs),
      timing: { headersTimeoutMs: 200, requestTimeoutMs: 1000, checkEveryMs: 50 },
    }))!;
    port = (running.address as AddressInfo).port;
  });

  afterAll(() => running.close());

  it.each([
    ['an idle connection', ''],
    ['a head cut short', 'GET /admin/status HTTP/1.1\r\nHost: 127.0.0.1\r\n'],
  ])('%s answers 408 in JSON, then closes', async (_what, bytes) => {
    const answer = await sendRaw(port, bytes);
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer).toContain('\r\nContent-Type: application/json; charset=utf-8\r\n');
    expect(answer).toContain('\r\nConnection: close\r\n');
    expect(bodyOf(answer)).toEqual({ error: 'request not received in time' });
  });

  it('a whole request in time is answered', async () => {
    expect(await sendRaw(port, 'GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 200 OK\r\n[\s\S]*answered\n$/,
    );
  });
});

describe('closing the admin listener', () => {
  it('answers a request under way within the grace, with Connection: close, and then ends', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const underWay = new Promise<void>((resolve) => (arrived = resolve));
    const running = (await listenAdmin(
      (_req, res) => {
        arrived();
        void released.then(() => res.end('late answer\n'));
      },
      { host: '127.0.0.1', port: 0, explicit: true, log: memoryLogger([]) },
    ))!;
    const port = (running.address as AddressInfo).port;
    const answer = sendRaw(port, 'GET /admin/trace HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await underWay;
    const closed = running.close(60_000);
    release();
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('\r\nConnection: close\r\n');
    expect(text).toMatch(/late answer\n$/);
    await closed;
  });
});
