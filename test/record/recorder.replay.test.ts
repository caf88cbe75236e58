import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MiddlewareClient,
  TransportError,
  type MiddlewareAnswer,
  type OutboundRequest,
} from '../../src/adapters/transport.js';
import { readAnswer } from '../../src/adapters/readAnswer.js';
import { createRecorder, RecordFolderError } from '../../src/record/recorder.js';
import { loadFixtures, type Exchange } from '../../src/replay/fixtures.js';
import { closedPort, startReplayServer, type ReplayServer } from '../../src/replay/server.js';
import { memoryLogger } from '../support/bridge.js';
import { MIDDLEWARE_FIXTURE_FOLDERS } from '../replay/shippedFolders.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const freshDir = () => join(mkdtempSync(join(tmpdir(), 'record-')), 'recorded');
const recordedFiles = (dir: string) => readdirSync(dir).sort();
const readRecorded = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Exchange;

const servers: ReplayServer[] = [];
const clients: MiddlewareClient[] = [];
afterEach(async () => {
  await Promise.all([
    ...servers.splice(0).map((server) => server.close()),
    ...clients.splice(0).map((client) => client.close()),
  ]);
});

async function replaying(exchanges: readonly Exchange[]): Promise<ReplayServer> {
  const server = await startReplayServer(exchanges);
  servers.push(server);
  return server;
}

function clientFor(observe?: ConstructorParameters<typeof MiddlewareClient>[0]): MiddlewareClient {
  const client = new MiddlewareClient(observe);
  clients.push(client);
  return client;
}

/** Generous: only a hang waits it out, and a loaded machine must not turn a late answer into a timeout. */
const ANSWERS_WITHIN_MS = 10_000;
/** For an exchange that never answers in time (a hang, an answer seconds late): it times out whatever the wait. */
const NEVER_IN_TIME_MS = 300;
const timeoutFor = ({ response }: Exchange) =>
  response.hang || (response.delayMs ?? 0) >= 1000 ? NEVER_IN_TIME_MS : ANSWERS_WITHIN_MS;

/** What the bridge reads from an exchange: status, the headers it honours and the body; or the kind of failure. */
async function outcomeOf(
  client: MiddlewareClient,
  outbound: OutboundRequest,
  timeoutMs = ANSWERS_WITHIN_MS,
): Promise<unknown> {
  try {
    const { status, headers, body } = await client.send(outbound, timeoutMs, new AbortController().signal);
    const read = Object.entries(headers).filter(
      ([name]) => name.startsWith('x-') || name === 'location' || name === 'content-type',
    );
    return { status, headers: Object.fromEntries(read), body: body.toString() };
  } catch (error) {
    return { error: (error as TransportError).kind };
  }
}

const TOKEN = 's3cret-token-123';
const PASSWORD = 'p4ssw0rd!';
const API_KEY = 'mw-api-key-777';
const BASIC = Buffer.from('bridge:mw-pass-999').toString('base64');

describe('recording masks secrets', () => {
  it('keeps a repeated parameter with all its values, so a replay still tells tokens apart', async () => {
    const middleware = await replaying([{ request: { path: '/chk' }, response: { status: 200 } }]);
    const dir = freshDir();
    const recorder = createRecorder(dir, memoryLogger([]), { knownSecrets: ['goodCfgTok'] });
    const outbound = (viewerToken: string): OutboundRequest => ({
      origin: middleware.url,
      path: `/chk?token=goodCfgTok&token=${viewerToken}`,
      headers: {},
    });
    await outcomeOf(clientFor(recorder.observe), outbound('viewerTok1'));
    await recorder.flush();
    const [file] = recordedFiles(dir);
    expect(readFileSync(join(dir, file!), 'utf8')).not.toMatch(/goodCfgTok|viewerTok1/);
    expect(readRecorded(dir, file!).request.query).toEqual({
      token: [{ sha256: sha256('goodCfgTok') }, { sha256: sha256('viewerTok1') }],
    });
    const replay = await replaying(loadFixtures(dir));
    expect(await outcomeOf(clientFor(), { ...outbound('viewerTok1'), origin: replay.url })).toMatchObject({
      status: 200,
    });
    expect(await outcomeOf(clientFor(), { ...outbound('otherTok'), origin: replay.url })).toMatchObject({
      status: 500,
    });
    expect(
      await outcomeOf(clientFor(), { ...outbound('viewerTok1'), origin: replay.url, path: '/chk?token=goodCfgTok' }),
    ).toMatchObject({ status: 500 });
  });

  it('masks the values of secret environment variables the config used, in the URL path and any parameter, and still replays', async () => {
    const middleware = await replaying([
      { request: { path: '/PathSecret999/check' }, response: { status: 200, headers: { 'X-Session-Name': 'alice' } } },
    ]);
    const dir = freshDir();
    const recorder = createRecorder(dir, memoryLogger([]), { knownSecrets: ['PathSecret999', 'SmKey888'] });
    const outbound: OutboundRequest = {
      origin: middleware.url,
      path: '/PathSecret999/check?client=SmKey888&name=a001',
      headers: {},
    };
    const original = await outcomeOf(clientFor(recorder.observe), outbound);
    await recorder.flush();
    const [file] = recordedFiles(dir);
    const text = readFileSync(join(dir, file!), 'utf8');
    expect(text).not.toMatch(/PathSecret999|SmKey888/);
    expect(readRecorded(dir, file!).request).toMatchObject({
      path: { sha256: sha256('/PathSecret999/check') },
      query: { client: { sha256: sha256('SmKey888') }, name: 'a001' },
    });
    const replay = await replaying(loadFixtures(dir));
    expect(await outcomeOf(clientFor(), { ...outbound, origin: replay.url })).toEqual(original);
    expect(
      await outcomeOf(clientFor(), {
        ...outbound,
        origin: replay.url,
        path: '/OtherSecret/check?client=SmKey888&name=a001',
      }),
    ).toMatchObject({ status: 500 });
  });

  it('writes no token, password, key or cookie in clear, yet the recording tells a good token from a bad one', async () => {
    const middleware = await replaying([
      {
        request: { path: '/check' },
        response: {
          status: 302,
          headers: {
            Location: `http://promo.example.com/renew?token=${TOKEN}`,
            'Set-Cookie': 'mwsession=c00kie-value',
            'X-Session-Name': 'alice',
          },
          body: `token ${TOKEN} of vip:${PASSWORD} has expired`,
        },
      },
    ]);
    const dir = freshDir();
    const logs: string[] = [];
    const recorder = createRecorder(dir, memoryLogger(logs));
    const viewerQuery = `token=${TOKEN}&auth=vip:${PASSWORD}`;
    const outbound = (token: string): OutboundRequest => ({
      origin: middleware.url,
      path: `/check?key=${API_KEY}&name=a001&token=${token}&qs=${encodeURIComponent(viewerQuery)}&auth=vip:${PASSWORD}&lang=en`,
      headers: {
        authorization: `Basic ${BASIC}`,
        'x-real-ip': '203.0.113.7',
        'x-real-path': `/play/${TOKEN}/index.m3u8`,
      },
    });
    const original = await outcomeOf(clientFor(recorder.observe), outbound(TOKEN));
    await recorder.flush();

    const [file, ...more] = recordedFiles(dir);
    expect(more).toEqual([]);
    const text = readFileSync(join(dir, file!), 'utf8');
    for (const secret of [TOKEN, PASSWORD, encodeURIComponent(PASSWORD), API_KEY, BASIC, 'c00kie-value'])
      expect(text).not.toContain(secret);
    const recorded = readRecorded(dir, file!);
    expect(recorded.request).toEqual({
      method: 'GET',
      path: '/check',
      query: {
        key: { sha256: sha256(API_KEY) },
        name: 'a001',
        token: { sha256: sha256(TOKEN) },
        qs: { sha256: sha256(viewerQuery) },
        auth: { sha256: sha256(`vip:${PASSWORD}`) },
        lang: 'en',
      },
      headers: {
        authorization: { sha256: sha256(`Basic ${BASIC}`) },
        'x-real-ip': '203.0.113.7',
        'x-real-path': { sha256: sha256(`/play/${TOKEN}/index.m3u8`) },
      },
    });
    expect(recorded.response.headers).toMatchObject({
      location: 'http://promo.example.com/renew?token=***',
      'set-cookie': '***',
      'x-session-name': 'alice',
    });
    expect(recorded.response.headers).not.toHaveProperty('date');
    expect(recorded.response.body).toBe('token *** of *** has expired');

    const replay = await replaying(loadFixtures(dir));
    const client = clientFor();
    const replayed = await outcomeOf(client, { ...outbound(TOKEN), origin: replay.url });
    expect(original).toMatchObject({
      status: 302,
      headers: { location: `http://promo.example.com/renew?token=${TOKEN}`, 'x-session-name': 'alice' },
    });
    expect(replayed).toEqual({
      status: 302,
      headers: { location: 'http://promo.example.com/renew?token=***', 'x-session-name': 'alice' },
      body: 'token *** of *** has expired',
    });
    expect(await outcomeOf(client, { ...outbound('another-token'), origin: replay.url })).toMatchObject({
      status: 500,
    });
    expect(logs.join('\n')).not.toContain(TOKEN);
  });
});

describe('recording masks secrets inside signed links and URL-valued parts', () => {
  const SIGNED = {
    md5: 'PMD5-SECRET',
    expires: '1767225600',
    jwt: 'eyJhbGciOiJIUzI1NiJ9.e30.SIGNATURE',
    hdnts: 'exp=1767225600~acl=/*~hmac=0f1e2d3c',
    pin: '4711',
    sid: 'SESSION-COOKIE-ID',
  };
  const CLEAR_SECRETS = [
    ...Object.values(SIGNED).filter((value) => value !== SIGNED.expires),
    'PATHTOK',
    'ORIGINPW',
    'REFTOK',
  ];

  it('Cesbo style: signed-link parameters, X-Real-Path’s token and X-Real-Origin’s password never in clear; still replays', async () => {
    const middleware = await replaying([
      { request: { path: '/check' }, response: { status: 403, body: 'token PATHTOK refused for ORIGINPW' } },
    ]);
    const dir = freshDir();
    const recorder = createRecorder(dir, memoryLogger([]));
    const outbound = (md5: string): OutboundRequest => ({
      origin: middleware.url,
      path: `/check?${new URLSearchParams({ ...SIGNED, md5 })}`,
      headers: {
        'x-real-path': '/play/a001/index.m3u8?token=PATHTOK',
        'x-real-origin': 'http://u:ORIGINPW@live.example',
        'x-real-ip': '203.0.113.7',
      },
    });
    const original = await outcomeOf(clientFor(recorder.observe), outbound(SIGNED.md5));
    await recorder.flush();
    const [file] = recordedFiles(dir);
    const text = readFileSync(join(dir, file!), 'utf8');
    for (const secret of CLEAR_SECRETS) expect(text, secret).not.toContain(secret);
    const { request, response } = readRecorded(dir, file!);
    expect(request.query).toEqual({
      ...Object.fromEntries(Object.entries(SIGNED).map(([name, value]) => [name, { sha256: sha256(value) }])),
      expires: SIGNED.expires,
    });
    expect(request.headers).toEqual({
      'x-real-path': { sha256: sha256('/play/a001/index.m3u8?token=PATHTOK') },
      'x-real-origin': { sha256: sha256('http://u:ORIGINPW@live.example') },
      'x-real-ip': '203.0.113.7',
    });
    expect(response.body).toBe('token *** refused for ***');

    const replay = await replaying(loadFixtures(dir));
    expect(await outcomeOf(clientFor(), { ...outbound(SIGNED.md5), origin: replay.url })).toEqual({
      ...(original as object),
      body: 'token *** refused for ***',
    });
    expect(await outcomeOf(clientFor(), { ...outbound('OTHER-MD5'), origin: replay.url })).toMatchObject({
      status: 500,
    });
  });

  it('Flussonic style: a referer’s token and a short PIN are hashed; the session number and the times are kept', async () => {
    const middleware = await replaying([{ request: { path: '/auth' }, response: { status: 200 } }]);
    const dir = freshDir();
    const recorder = createRecorder(dir, memoryLogger([]));
    const query = (referer: string) =>
      `/auth?name=a001&session_id=42&referer=${encodeURIComponent(referer)}&pin=12&e=1767225600`;
    const outbound: OutboundRequest = {
      origin: middleware.url,
      path: query('http://portal/?token=REFTOK'),
      headers: {},
    };
    await outcomeOf(clientFor(recorder.observe), outbound);
    await recorder.flush();
    const [file] = recordedFiles(dir);
    expect(readFileSync(join(dir, file!), 'utf8')).not.toContain('REFTOK');
    expect(readRecorded(dir, file!).request.query).toEqual({
      name: 'a001',
      session_id: '42',
      referer: { sha256: sha256('http://portal/?token=REFTOK') },
      pin: { sha256: sha256('12') },
      e: '1767225600',
    });
    const replay = await replaying(loadFixtures(dir));
    expect(await outcomeOf(clientFor(), { ...outbound, origin: replay.url })).toMatchObject({ status: 200 });
    expect(
      await outcomeOf(clientFor(), { ...outbound, origin: replay.url, path: query('http://portal/?token=OTHER') }),
    ).toMatchObject({ status: 500 });
  });
});

describe('recorded answers replay as the bridge read them', () => {
  it('a header the middleware sent twice is recorded as both and replayed as both: the bridge reads the first again', async () => {
    const twice = [
      'HTTP/1.1 200 OK',
      'X-AuthDuration: 5',
      'X-AuthDuration: 99999',
      'X-UserId: 1',
      'X-UserId: 2',
      'Content-Length: 2',
      '',
      'ok',
    ].join('\r\n');
    const middleware = await replaying([{ request: { path: '/twice' }, response: { raw: twice } }]);
    const dir = freshDir();
    const recorder = createRecorder(dir, memoryLogger([]));
    const live = await outcomeOf(clientFor(recorder.observe), { origin: middleware.url, path: '/twice', headers: {} });
    await recorder.flush();
    const [file] = recordedFiles(dir);
    expect(readRecorded(dir, file!).response.headers).toMatchObject({
      'x-authduration': ['5', '99999'],
      'x-userid': ['1', '2'],
    });
    const replay = await replaying(loadFixtures(dir));
    const replayed = await outcomeOf(clientFor(), { origin: replay.url, path: '/twice', headers: {} });
    expect(replayed).toEqual(live);
    const verdict = readAnswer({ ...(replayed as MiddlewareAnswer), body: Buffer.from('ok') }, undefined);
    expect(verdict).toMatchObject({ outcome: 'allow', info: { authDuration: 5, userId: '1' } });
  });
});

describe('recorded failures replay as the same kind of failure', () => {
  it('answers, hangs, resets, oversize, garbage and refused heads come back alike; a refused connection is not recorded', async () => {
    const cases: Exchange[] = [
      { request: { path: '/allow' }, response: { status: 200, headers: { 'X-Session-Name': 'alice' }, body: 'OK' } },
      { request: { path: '/deny' }, response: { status: 403 } },
      { request: { path: '/broken' }, response: { status: 502, body: 'Bad Gateway' } },
      { request: { path: '/hang' }, response: { hang: true } },
      { request: { path: '/reset' }, response: { reset: true } },
      { request: { path: '/huge' }, response: { status: 200, bodyBytes: 70_000, chunked: true } },
      { request: { path: '/garbage' }, response: { raw: 'HTTP/1.1 200 OK\r\nX-Bad\x01Name: 1\r\n\r\n' } },
      { request: { path: '/folded' }, response: { raw: 'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n' } },
    ];
    const middleware = await replaying(cases);
    const dir = freshDir();
    const recorder = createRecorder(dir, memoryLogger([]));
    const recordingClient = clientFor(recorder.observe);
    const paths = cases.map((exchange) => exchange.request.path as string);
    const live = await Promise.all(
      cases.map((exchange, at) =>
        outcomeOf(recordingClient, { origin: middleware.url, path: paths[at]!, headers: {} }, timeoutFor(exchange)),
      ),
    );
    await outcomeOf(recordingClient, {
      origin: `http://127.0.0.1:${await closedPort()}`,
      path: '/refused',
      headers: {},
    });
    await recorder.flush();

    expect(live).toEqual([
      { status: 200, headers: { 'x-session-name': 'alice' }, body: 'OK' },
      { status: 403, headers: {}, body: '' },
      { status: 502, headers: {}, body: 'Bad Gateway' },
      { error: 'timeout' },
      { error: 'reset' },
      { error: 'too-large' },
      { error: 'unparseable' },
      { error: 'bad-answer' },
    ]);
    expect(recordedFiles(dir)).toHaveLength(cases.length);
    const replay = await replaying(loadFixtures(dir));
    const client = clientFor();
    const replayed = await Promise.all(
      cases.map((exchange, at) =>
        outcomeOf(client, { origin: replay.url, path: paths[at]!, headers: {} }, timeoutFor(exchange)),
      ),
    );
    expect(replayed).toEqual(live);
  });

  it('holds for every shipped fixture: recording then replaying gives the bridge the same answer', async () => {
    const dir = freshDir();
    const recorder = createRecorder(dir, memoryLogger([]));
    const recordingClient = clientFor(recorder.observe);
    const checks: Array<{
      fixture: string;
      live: string;
      path: string;
      headers: Record<string, string>;
      timeoutMs: number;
    }> = [];
    for (const folder of MIDDLEWARE_FIXTURE_FOLDERS) {
      const shipped = fixturesOf(folder);
      const middleware = await replaying(shipped);
      for (const exchange of shipped) {
        const { file, request } = exchange;
        // The request this fixture answers; shipped fixtures hold no digests, which could not be turned back into one.
        const plain = (values: Exchange['request']['query'] = {}) =>
          Object.entries(values).map(([name, value]): [string, string] => [name, value as string]);
        checks.push({
          fixture: `${folder}/${file}`,
          live: middleware.url,
          path: `${request.path}?${new URLSearchParams(plain(request.query))}`,
          headers: Object.fromEntries(plain(request.headers)),
          timeoutMs: timeoutFor(exchange),
        });
      }
    }
    const live = await Promise.all(
      checks.map(({ fixture, live, path, headers, timeoutMs }) =>
        outcomeOf(recordingClient, { origin: live, path, headers }, timeoutMs).then((outcome) => ({
          fixture,
          outcome,
        })),
      ),
    );
    await recorder.flush();

    const replay = await replaying(loadFixtures(dir));
    const client = clientFor();
    const replayed = await Promise.all(
      checks.map(({ fixture, path, headers, timeoutMs }) =>
        outcomeOf(client, { origin: replay.url, path, headers }, timeoutMs).then((outcome) => ({ fixture, outcome })),
      ),
    );
    expect(checks.length).toBeGreaterThan(70);
    expect(replayed).toEqual(live);
  });
});

describe('recorder', () => {
  const answer = (status: number, body = ''): MiddlewareAnswer => ({
    status,
    headers: { date: new Date().toUTCString() },
    body: Buffer.from(body),
  });
  const outbound: OutboundRequest = { origin: 'http://mw.local', path: '/check?name=a001', headers: {} };

  it('writes an identical exchange once, in sortable, unique file names', async () => {
    const dir = freshDir();
    const recorder = createRecorder(dir, memoryLogger([]));
    recorder.observe(outbound, answer(200));
    recorder.observe(outbound, answer(200));
    recorder.observe(outbound, answer(403));
    recorder.observe(outbound, answer(200));
    recorder.observe(outbound, new TransportError('timeout', 'no complete answer within timeoutMs'));
    await recorder.flush();

    const files = recordedFiles(dir);
    expect(files).toHaveLength(3);
    for (const file of files)
      expect(file).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-\d{6}-(200|403|timeout)\.json$/);
    expect(files.map((file) => file.split('-').at(-1))).toEqual(['200.json', '403.json', 'timeout.json']);
    expect(readRecorded(dir, files[0]!).description).toMatch(/^Recorded by serve --record at /);
    expect(readRecorded(dir, files[0]!).source).toBe('recorded from a live middleware by serve --record');
  });

  it('drops exchanges past its bounded queue and says so once', async () => {
    const dir = freshDir();
    const logs: string[] = [];
    const recorder = createRecorder(dir, memoryLogger(logs), { maxPending: 2 });
    for (let status = 200; status < 205; status++) recorder.observe(outbound, answer(status));
    await recorder.flush();
    expect(recordedFiles(dir)).toHaveLength(2);
    expect(logs.filter((line) => line.includes('recording falls behind'))).toHaveLength(1);
  });

  it('refuses a folder it cannot create, naming it', () => {
    const parent = mkdtempSync(join(tmpdir(), 'record-'));
    writeFileSync(join(parent, 'file'), 'not a folder');
    const dir = join(parent, 'file', 'recorded');
    expect(() => createRecorder(dir, memoryLogger([]))).toThrow(RecordFolderError);
    expect(() => createRecorder(dir, memoryLogger([]))).toThrow(`cannot record to ${dir} (--record): ENOTDIR`);
    expect(() => createRecorder(join(parent, 'file'), memoryLogger([]))).toThrow(
      `cannot record to ${join(parent, 'file')} (--record): ENOTDIR`,
    );
  });

  it('keeps going, and logs once, when writing fails or an exchange cannot be read', async () => {
    const dir = freshDir();
    const logs: string[] = [];
    const recorder = createRecorder(dir, memoryLogger(logs));
    rmSync(dir, { recursive: true });
    for (let status = 200; status < 205; status++)
      expect(() => recorder.observe(outbound, answer(status))).not.toThrow();
    const unreadable = { status: 200, headers: null, body: null } as unknown as MiddlewareAnswer;
    expect(() => recorder.observe(outbound, unreadable)).not.toThrow();
    expect(() => recorder.observe(outbound, unreadable)).not.toThrow();
    await recorder.flush();
    expect(logs.filter((line) => line.includes('cannot write a recorded exchange'))).toHaveLength(1);
    expect(logs.find((line) => line.includes('cannot write'))).toContain('ENOENT');
    expect(logs.filter((line) => line.includes('cannot record an exchange'))).toHaveLength(1);
  });
});
