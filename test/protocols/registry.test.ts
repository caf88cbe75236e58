import { connect } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEnded } from '../../src/observe.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { memoryLogger, testBridge, type TestBridge } from '../support/bridge.js';
import { bodyText, callerFixtures, type CallerFixture } from '../support/callerFixtures.js';
import { useReplayedMiddleware } from '../support/replayedMiddleware.js';

const check = useReplayedMiddleware('http');
const flussonic = useReplayedMiddleware('flussonic');
let bridge: TestBridge;
let running: RunningServer;
let base: string;
const ended: SessionEnded[] = [];

beforeAll(async () => {
  bridge = testBridge(
    {
      cache: { enabled: false },
      limits: { bodyTimeoutMs: 300, maxBodyBytes: 1024, maxQueryBytes: 512 },
      backends: {
        check: { type: 'http', url: `${check.url}/auth/check`, breaker: { failures: 0 } },
        fl: { type: 'flussonic', url: `${flussonic.url}/flussonic/auth`, breaker: { failures: 0 } },
      },
      routes: {
        default: { backends: ['check'] },
        fl: { backends: ['fl'] },
        open: { backends: ['check'], publish: 'allow' },
        checked: { backends: ['check'], publish: 'check' },
      },
    },
    { observer: { sessionEnded: (event) => ended.push(event) } },
  );
  running = await listen(bridge.app, { host: '127.0.0.1', port: 0, maxHeaderBytes: 16_384, log: memoryLogger([]) });
  base = `http://127.0.0.1:${running.address.port}`;
});
afterAll(async () => {
  await running.stop(100);
  await bridge.close();
});

async function send(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const res = await request(`${base}${path}`, { method: method as 'POST', headers, body });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

const sendFixture = (fixture: CallerFixture, path = fixture.request.path) =>
  send(fixture.request.method, path, fixture.request.headers, bodyText(fixture));
const fixture = (file: string) => callerFixtures().find((candidate) => candidate.file === file)!;
const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };

/** Sends bytes as they are and returns what came back until the bridge closed the connection. */
function rawExchange(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(running.address.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

describe('what each streaming server sends (test/fixtures/callers)', () => {
  it('every fixture names where it comes from', () => {
    const all = callerFixtures();
    expect(all.length).toBeGreaterThanOrEqual(13);
    for (const { file, source } of all)
      expect(source, file).toMatch(/^(hand-written from .+ documentation|hand-written from .+ source|recorded from )/);
  });

  it.each(callerFixtures().map((f) => [f.file, f] as const))(
    '%s gets the answer its server acts on',
    async (_file, caller) => {
      const res = await sendFixture(caller);
      expect(res.status).toBe(caller.expect.status);
      expect(res.text).toBe(caller.expect.body);
    },
  );
});

describe('each caller normalized toward a Cesbo-style backend', () => {
  it('SRS on_play: param is the viewer query, client_id the session, stream the channel id', async () => {
    await sendFixture(fixture('srs/on_play.json'));
    const got = check.received.at(-1)!;
    expect(got.rawQuery).toBe('token=good-token');
    expect(got.headers).toMatchObject({
      'x-real-ip': '203.0.113.7',
      'x-session-id': '341w361a',
      'x-channel-id': 'a001',
      'x-real-path': '/live/a001',
    });
  });

  it("nginx-rtmp play: only the viewer's own parameters reach the backend, byte for byte", async () => {
    await sendFixture(fixture('nginx-rtmp/play.json'));
    const got = check.received.at(-1)!;
    expect(got.rawQuery).toBe('token=good-token');
    expect(got.headers).toMatchObject({ 'x-real-ip': '203.0.113.7', 'x-session-id': '12', 'x-channel-id': 'a001' });
  });

  it('MediaMTX read: the query and ip; the channel from the path is not invented as X-Channel-ID', async () => {
    await sendFixture(fixture('mediamtx/read-hls.json'));
    const got = check.received.at(-1)!;
    expect(got.rawQuery).toBe('token=good-token');
    expect(got.headers['x-real-ip']).toBe('203.0.113.7');
    expect(got.headers['x-channel-id']).toBeUndefined();
    expect(got.headers['x-real-path']).toBe('/live/a001');
  });

  it('MediaMTX token apart from the query is the token, added to the query the backend reads', async () => {
    const res = await send(
      'POST',
      '/mediamtx',
      json,
      JSON.stringify({
        action: 'read',
        path: 'live/a001',
        protocol: 'webrtc',
        ip: '203.0.113.7',
        token: 'good-token',
        query: 'lang=en',
      }),
    );
    expect(res.status).toBe(200);
    expect(check.received.at(-1)!.rawQuery).toBe('lang=en&token=good-token');
    const differ = await send(
      'POST',
      '/mediamtx',
      json,
      JSON.stringify({ action: 'read', path: 'a', token: 'good-token', query: 'token=other' }),
    );
    expect(differ.status).toBe(400);
  });

  it("nginx auth_request: X-Original-URI is the viewer's path and query; its User-Agent is the viewer's", async () => {
    await sendFixture(fixture('nginx-auth-request/hls.json'));
    const got = check.received.at(-1)!;
    expect(got.rawQuery).toBe('token=good-token');
    expect(got.headers).toMatchObject({
      'x-real-path': '/hls/a001/index.m3u8',
      'x-real-ip': '203.0.113.7',
      'x-real-ua': 'VLC/3.0.20 LibVLC/3.0.20',
    });
    expect(got.headers['x-channel-id']).toBeUndefined();
  });
});

describe('each caller toward a Flussonic-style backend', () => {
  it('SRS: proto rtmp, new_session then update_session for the same client', async () => {
    const play = fixture('srs/on_play.json');
    await sendFixture(play, '/srs/fl');
    expect(flussonic.received.at(-1)!.query).toMatchObject({
      name: ['a001'],
      proto: ['rtmp'],
      session_id: ['341w361a'],
      request_type: ['new_session'],
      request_number: ['1'],
    });
    await sendFixture(play, '/srs/fl');
    expect(flussonic.received.at(-1)!.query).toMatchObject({ request_type: ['update_session'], request_number: ['2'] });
  });

  it('MediaMTX: proto is its protocol', async () => {
    await sendFixture(fixture('mediamtx/read-hls.json'), '/mediamtx/fl');
    expect(flussonic.received.at(-1)!.query).toMatchObject({
      name: ['a001'],
      proto: ['hls'],
      qs: ['token=good-token'],
    });
  });

  it('nginx-rtmp: proto rtmp, the stream name, the viewer query as qs', async () => {
    await sendFixture(fixture('nginx-rtmp/play.json'), '/nginx-rtmp/fl');
    expect(flussonic.received.at(-1)!.query).toMatchObject({
      name: ['a001'],
      proto: ['rtmp'],
      ip: ['203.0.113.7'],
      session_id: ['12'],
      qs: ['token=good-token'],
    });
  });
});

describe('notifications and publishing', () => {
  /** The viewer address every fixture's notification names (its session is the one of that viewer). */
  const VIEWER = '203.0.113.7';

  it('notifications are acknowledged without asking anyone; the ending ones end the viewing session', async () => {
    const before = check.received.length;
    ended.length = 0;
    for (const file of ['srs/on_connect.json', 'srs/on_stop.json', 'nginx-rtmp/play_done.json'])
      expect((await sendFixture(fixture(file))).status).toBe(200);
    const close = await send(
      'POST',
      '/srs',
      json,
      JSON.stringify({ action: 'on_close', client_id: 7, ip: '203.0.113.7', vhost: 'v', app: 'live' }),
    );
    expect(close.text).toBe('0');
    expect(check.received.length).toBe(before);
    expect(ended).toEqual([
      { route: 'default', protocol: 'srs', caller: '127.0.0.1', ip: VIEWER, session: '341w361a', reason: 'on_stop' },
      { route: 'default', protocol: 'nginx-rtmp', caller: '127.0.0.1', ip: VIEWER, session: '12', reason: 'play_done' },
      { route: 'default', protocol: 'srs', caller: '127.0.0.1', ip: VIEWER, session: '7', reason: 'on_close' },
    ]);
  });

  it('publish: deny (the default) asks nobody, allow lets in without asking, check asks as for viewing', async () => {
    const before = check.received.length;
    expect((await sendFixture(fixture('srs/on_publish.json'))).status).toBe(403);
    expect((await sendFixture(fixture('srs/on_publish.json'), '/srs/open')).text).toBe('0');
    expect((await sendFixture(fixture('nginx-rtmp/publish.json'), '/nginx-rtmp/open')).status).toBe(200);
    expect((await sendFixture(fixture('mediamtx/publish.json'), '/mediamtx/open')).status).toBe(200);
    expect(check.received.length).toBe(before);
    expect((await sendFixture(fixture('srs/on_publish.json'), '/srs/checked')).text).toBe('0');
    expect(check.received.length).toBe(before + 1);
  });

  it('MediaMTX api, metrics and pprof are not reads', async () => {
    for (const action of ['api', 'metrics', 'pprof']) {
      const res = await send(
        'POST',
        '/mediamtx',
        json,
        JSON.stringify({ action, ip: '127.0.0.1', user: 'admin', password: 'x', path: '', query: '' }),
      );
      expect(res.status, action).toBe(403);
    }
  });
});

describe('bad, hostile and slow bodies get a clear 4xx, never a 5xx or a hang', () => {
  const onPlay = JSON.stringify(fixture('srs/on_play.json').request.body);

  it.each([
    ['/srs', { 'content-type': 'text/plain' }, onPlay, 415, 'expected Content-Type: application/json'],
    ['/srs', {}, onPlay, 415, 'expected Content-Type'],
    ['/nginx-rtmp', json, 'call=play', 415, 'application/x-www-form-urlencoded'],
    ['/srs', json, '{"action":"on_play",', 400, 'not valid JSON'],
    ['/srs', json, '[1,2]', 400, 'not a JSON object'],
    ['/srs', json, 'null', 400, 'not a JSON object'],
    ['/srs', json, '{"action":"on_play","ip":5}', 400, '"ip" in the body is not a string'],
    ['/srs', json, '{"action":"on_play","client_id":{"a":1}}', 400, '"client_id"'],
    ['/srs', json, '{"action":"on_launch"}', 400, 'unknown action "on_launch"'],
    ['/srs', json, '{"stream":"a001"}', 400, '"action" is missing'],
    ['/srs', json, '{"action":"on_play","param":"?token=%zz"}', 400, 'percent-encoding'],
    ['/srs', json, '{"action":"on_play","param":"?token=a&token=b"}', 400, 'more than once'],
    ['/srs', json, '{"action":"on_play","__proto__":{"ip":"1.1.1.1"},"constructor":"x"}', 403, '1'],
    // JSON.parse would keep the last of two: a publish read as a play, a good token's query as a bad one's.
    ['/srs', json, '{"action":"on_publish","action":"on_play"}', 400, '"action" in the body is given more than once'],
    ['/mediamtx', json, '{"action":"read","query":"token=a","query":"token=b"}', 400, '"query" in the body is given'],
    ['/srs', json, `{"action":"on_play","x":${'['.repeat(40)}${']'.repeat(40)}}`, 400, 'nested more than 32 levels'],
    [
      '/mediamtx',
      json,
      `{"action":"read","query":${JSON.stringify('x='.padEnd(900, 'y'))}}`,
      400,
      'longer than 512 bytes',
    ],
    ['/nginx-rtmp', form, 'call=play&name=a001&addr=203.0.113.7&name=other', 400, 'more than once'],
    ['/nginx-rtmp', form, 'call=play&name=a%zz', 400, 'percent-encoding'],
    ['/nginx-rtmp', form, 'call=fly&name=a001', 400, 'unknown call "fly"'],
    ['/nginx-rtmp', form, 'name=a001', 400, '"call" is missing'],
  ])('POST %s %j %s → %i', async (path, headers, body, status, reason) => {
    const before = check.received.length;
    const res = await send('POST', path, headers, body);
    expect(res.status).toBe(status);
    expect(res.text).toContain(reason);
    if (status !== 403) expect(check.received.length).toBe(before);
  });

  it('a body that is not UTF-8 is a 400', async () => {
    const res = await request(`${base}/srs`, {
      method: 'POST',
      headers: json,
      body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    });
    expect(res.statusCode).toBe(400);
    expect(await res.body.text()).toContain('not UTF-8');
  });

  it('a declared body over limits.maxBodyBytes is a 413 before it is read, and the connection closes', async () => {
    const answer = await rawExchange(
      `POST /srs HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"action"`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('request body larger than 1024 bytes');
    expect(answer).toMatch(/connection: close/i);
  });

  it('a chunked body that grows past the limit is a 413', async () => {
    const chunk = 'x'.repeat(600);
    const chunked = `258\r\n${chunk}\r\n258\r\n${chunk}\r\n`;
    const answer = await rawExchange(
      `POST /nginx-rtmp HTTP/1.1\r\nHost: b\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('a body not complete within limits.bodyTimeoutMs is a 408', async () => {
    const answer = await rawExchange(
      `POST /mediamtx HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"action":"read"`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('request body not complete within 300 ms');
  });
});

describe('methods: every decision path answers its own methods, anything else 405 with Allow', () => {
  it.each([
    ['GET', '/mediamtx', 'POST'],
    ['HEAD', '/srs', 'POST'],
    ['PUT', '/nginx-rtmp/default', 'POST'],
    ['DELETE', '/srs/x', 'POST'],
    ['POST', '/auth', 'GET, HEAD'],
    ['POST', '/flussonic/default', 'GET, HEAD'],
    ['PATCH', '/auth/', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])('%s %s → 405, Allow: %s', async (method, path, allow) => {
    const res = await send(method, path, method === 'POST' ? json : {}, method === 'POST' ? '{}' : undefined);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(allow);
  });

  it('an unknown route on a POST caller is a 404, its name decoded', async () => {
    const res = await send('POST', '/srs/no%2Dsuch', json, '{"action":"on_play"}');
    expect(res.status).toBe(404);
    expect(res.text).toContain('no route named "no-such"');
    // A control byte in the name comes back escaped, not as the raw byte.
    const nul = await send('GET', '/auth/nob%00', {});
    expect([nul.status, nul.text.includes('\u0000')]).toEqual([404, false]);
    expect(nul.text).toContain('no route named "nob\\u0000"');
  });
});

describe('viewer addresses no viewer has are bad input in every caller protocol', () => {
  const unusable = ['0.0.0.0', '::', '255.255.255.255', '224.0.0.1', 'ff02::1', '::ffff:0.0.0.0'];
  const askers: Array<[string, (ip: string) => Promise<{ status: number; text: string }>]> = [
    ['cesbo', (ip) => send('GET', '/auth?token=good-token', { 'x-real-ip': ip })],
    [
      'nginx auth_request',
      (ip) => send('GET', '/auth', { 'x-original-uri': '/hls/a001/index.m3u8?token=good-token', 'x-real-ip': ip }),
    ],
    ['flussonic', (ip) => send('GET', `/flussonic?name=a001&token=good-token&ip=${encodeURIComponent(ip)}`)],
    [
      'mediamtx',
      (ip) =>
        send(
          'POST',
          '/mediamtx',
          json,
          JSON.stringify({ action: 'read', path: 'live/a001', ip, query: 'token=good-token' }),
        ),
    ],
    [
      'srs',
      (ip) =>
        send(
          'POST',
          '/srs',
          json,
          JSON.stringify({ action: 'on_play', stream: 'a001', ip, param: '?token=good-token' }),
        ),
    ],
    [
      'nginx-rtmp',
      (ip) => send('POST', '/nginx-rtmp', form, `call=play&name=a001&addr=${encodeURIComponent(ip)}&token=good-token`),
    ],
  ];

  it.each(askers)('%s: 400 (nginx auth_request: 403) and no backend call', async (caller, ask) => {
    const before = check.received.length;
    // nginx reads any status but 2xx, 401 and 403 as its own error, a 500 to the viewer.
    const refusal = caller === 'nginx auth_request' ? 403 : 400;
    for (const ip of unusable) {
      const res = await ask(ip);
      expect(res.status, ip).toBe(refusal);
      expect(res.text, ip).toContain('not an address a viewer can have');
    }
    expect(check.received.length).toBe(before);
  });

  it('still serves after all of that', async () => {
    expect((await sendFixture(fixture('srs/on_play.json'))).text).toBe('0');
    expect((await send('GET', '/auth?token=good-token', { 'x-real-ip': '203.0.113.7' })).status).toBe(200);
  });
});
