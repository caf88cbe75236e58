import { createHash } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FixtureError, loadFixtures, parseTarget, type Exchange, type Fixture } from '../../src/replay/fixtures.js';
import { callerFixtures } from '../support/callerFixtures.js';
import { fixturesOf } from '../support/replayedMiddleware.js';
import { NO_MATCH_BODY, startReplayServer, type ReceivedRequest, type ReplayServer } from '../../src/replay/server.js';
import { MIDDLEWARE_FIXTURE_FOLDERS } from './shippedFolders.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function folderWith(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fixtures-'));
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

function loadError(dir: string): FixtureError {
  try {
    loadFixtures(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(FixtureError);
    return error as FixtureError;
  }
  throw new Error('expected the folder to be refused');
}

const allow = { request: { path: '/check' }, response: { status: 200 } };

describe('loadFixtures', () => {
  it('reads every *.json file in file-name order and says which file each exchange came from', () => {
    const dir = folderWith({
      'b.json': allow,
      'a.json': { ...allow, description: 'first' },
      'notes.txt': 'not a fixture',
    });
    const fixtures = loadFixtures(dir);
    expect(fixtures.map((fixture) => fixture.file)).toEqual(['a.json', 'b.json']);
    expect(fixtures[0]!.description).toBe('first');
  });

  it('names the folder when it is missing, not a folder, or holds no fixture', () => {
    const dir = folderWith({ 'plain.txt': 'x' });
    expect(loadError(join(dir, 'missing')).message).toContain(
      `${join(dir, 'missing')}: cannot read the fixture folder (ENOENT)`,
    );
    expect(loadError(join(dir, 'plain.txt')).message).toContain('cannot read the fixture folder (ENOTDIR)');
    expect(loadError(dir).message).toContain(`${dir}: no fixture files (*.json)`);
  });

  it('names the file for broken JSON and for a folder named like a fixture', () => {
    const dir = folderWith({ 'broken.json': '{"request": ' });
    mkdirSync(join(dir, 'folder.json'));
    const { message } = loadError(dir);
    expect(message).toContain(`${join(dir, 'broken.json')}: not valid JSON`);
    expect(message).toContain(`${join(dir, 'folder.json')}: cannot read (EISDIR)`);
  });

  it('refuses a folder with an empty file (a write cut short), saying so and to delete it, next to the good ones', () => {
    const dir = folderWith({ 'a.json': allow, 'b.json': '', 'c.json': '\n' });
    expect(loadError(dir).problems).toEqual([
      `${join(dir, 'b.json')}: empty file (a write cut short, e.g. by a full disk): delete it`,
      `${join(dir, 'c.json')}: empty file (a write cut short, e.g. by a full disk): delete it`,
    ]);
  });

  it('lists every problem of every file with its key path', () => {
    const dir = folderWith({
      'no-path.json': { request: {}, response: {} },
      'bad-hash.json': {
        request: { path: '/c', query: { token: { sha256: 'abc' } }, headers: { 'x-real-ip': 7 } },
        response: {},
      },
      'typo.json': { request: { path: '/c' }, response: { dealyMs: 100, status: 2000 } },
      'bad-header.json': { request: { path: 'c' }, response: { headers: { 'X-Session-Name': 'a\r\nSet-Cookie: x' } } },
      'not-object.json': '[]',
      'bad-repeat.json': { request: { path: '/c' }, response: { headers: { 'X-UserId': ['1', 'a\nb'], 'X-A': [] } } },
    });
    const { problems } = loadError(dir);
    const about = (file: string) => problems.filter((problem) => problem.startsWith(join(dir, file)));
    expect(about('no-path.json').join('\n')).toContain('request.path:');
    expect(about('bad-hash.json').join('\n')).toContain(
      'request.query.token.sha256: expected 64 hex digits (the SHA-256 of the value)',
    );
    expect(about('bad-hash.json').join('\n')).toContain(
      'request.headers.x-real-ip: expected a string or {"sha256": "<64 hex digits>"}',
    );
    expect(about('typo.json').join('\n')).toMatch(/response: .*dealyMs/);
    expect(about('typo.json').join('\n')).toContain('response.status:');
    expect(about('bad-header.json').join('\n')).toContain('request.path: expected a path starting with /');
    expect(about('bad-header.json').join('\n')).toContain(
      'response.headers.X-Session-Name: not a header Node can send',
    );
    expect(about('not-object.json')).toHaveLength(1);
    expect(about('bad-repeat.json').join('\n')).toContain('response.headers.X-UserId: not a header Node can send');
    expect(about('bad-repeat.json').join('\n')).toContain('response.headers.X-A');
  });

  it('refuses a request body expectation it cannot match, naming the key', () => {
    const dir = folderWith({
      'nested.json': { request: { path: '/c', method: 'POST', body: { json: { a: [1] } } }, response: {} },
      'both.json': { request: { path: '/c', body: { form: {}, json: {} } }, response: {} },
    });
    const text = loadError(dir).message;
    expect(text).toContain(`${join(dir, 'nested.json')}: request.body:`);
    expect(text).toContain(`${join(dir, 'both.json')}: request.body:`);
    expect(text).toContain('{"json": {field: value}}');
  });

  it('loads every shipped fixture folder', () => {
    expect(MIDDLEWARE_FIXTURE_FOLDERS).toEqual(
      expect.arrayContaining(['http', 'flussonic', 'ministra', 'iptvportal', 'smarty']),
    );
    for (const folder of MIDDLEWARE_FIXTURE_FOLDERS) {
      expect(fixturesOf(folder).length).toBeGreaterThan(0);
    }
  });

  it('keeps the source label and refuses one that says neither hand-written nor recorded', () => {
    const labelled = loadFixtures(folderWith({ 'a.json': { source: 'hand-written from the manual', ...allow } }));
    expect(labelled[0]!.source).toBe('hand-written from the manual');
    const { message } = loadError(folderWith({ 'a.json': { source: 'from the manual', ...allow } }));
    expect(message).toContain('a.json: source: expected "hand-written from …" or "recorded …"');
  });

  it('every shipped fixture, middleware and caller alike, says whether it is hand-written or recorded', () => {
    const middlewares = MIDDLEWARE_FIXTURE_FOLDERS.flatMap((folder) =>
      fixturesOf(folder).map((fixture) => [`${folder}/${fixture.file}`, fixture.source] as const),
    );
    const callers = callerFixtures().map((fixture) => [`callers/${fixture.file}`, fixture.source] as const);
    const unlabelled = [...middlewares, ...callers].filter(
      ([, source]) => !/^(hand-written|recorded)\b./.test(source ?? ''),
    );
    expect(middlewares.length + callers.length).toBeGreaterThan(80);
    expect(unlabelled).toEqual([]);
  });
});

describe('replay server', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('matches a {"sha256"} query or header value by the hash of what it receives', async () => {
    const dir = folderWith({
      'a-good.json': {
        request: {
          path: '/check',
          query: { token: { sha256: sha256('good-token').toUpperCase() } },
          headers: { 'X-Real-IP': { sha256: sha256('203.0.113.7') } },
        },
        response: { status: 200, headers: { 'X-Session-Name': 'alice' } },
      },
      'b-plain.json': {
        request: { path: '/check', query: { token: 'plain-token' } },
        response: { status: 200, headers: { 'X-Session-Name': 'bob' } },
      },
      'c-rest.json': { request: { path: '/check' }, response: { status: 403 } },
    });
    server = await startReplayServer(loadFixtures(dir));
    const ask = (query: string, ip = '203.0.113.7') =>
      fetch(`${server!.url}/check?${query}`, { headers: { 'X-Real-IP': ip } });

    const good = await ask('token=good-token');
    expect(good.status).toBe(200);
    expect(good.headers.get('x-session-name')).toBe('alice');
    expect((await ask('token=good-token', '198.51.100.1')).status).toBe(403);
    expect((await ask('token=good-tokenX')).status).toBe(403);
    expect((await ask('token=good-token&token=good-token')).status).toBe(403);
    expect((await ask('token=plain-token')).headers.get('x-session-name')).toBe('bob');
  });

  it('tells its observer which fixture answered, and answers 500 when none matches', async () => {
    const seen: Array<[ReceivedRequest, string | undefined]> = [];
    server = await startReplayServer(loadFixtures(folderWith({ 'only.json': allow })), {
      onRequest: (request, answeredBy: Fixture | undefined) => seen.push([request, answeredBy?.file]),
    });
    expect((await fetch(`${server.url}/check?x=1`)).status).toBe(200);
    const missed = await fetch(`${server.url}/other`);
    expect(missed.status).toBe(500);
    expect(await missed.text()).toBe(NO_MATCH_BODY);
    expect(seen.map(([request, file]) => [request.path, request.query, file])).toEqual([
      ['/check', { x: ['1'] }, 'only.json'],
      ['/other', {}, undefined],
    ]);
  });

  it('keeps serving when a viewer gives up on a delayed answer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    // The server's side of the viewer's request, to see the viewer leave.
    let onStart!: (message: unknown) => void;
    const arrived = new Promise<ServerResponse>((resolve) => {
      onStart = (message) => resolve((message as { response: ServerResponse }).response);
    });
    diagnostics.subscribe('http.server.request.start', onStart);
    try {
      server = await startReplayServer([
        { request: { path: '/slow' }, response: { status: 200, delayMs: 300 } },
        { request: { path: '/fast' }, response: { status: 204 } },
      ]);
      const viewer = new AbortController();
      const asking = fetch(`${server.url}/slow`, { signal: viewer.signal });
      const response = await arrived;
      const left = once(response, 'close');
      viewer.abort();
      await expect(asking).rejects.toThrow();
      await left;
      // The delayed answer comes due for a viewer who has gone.
      await vi.advanceTimersByTimeAsync(300);
      expect((await fetch(`${server.url}/fast`)).status).toBe(204);
    } finally {
      diagnostics.unsubscribe('http.server.request.start', onStart);
      vi.useRealTimers();
    }
  });

  it('rejects with the reason when it cannot listen', async () => {
    server = await startReplayServer([allow]);
    const port = Number(new URL(server.url).port);
    await expect(startReplayServer([allow], { port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('parseTarget', () => {
  it('splits at the first ? and decodes the query as URLSearchParams does, repeated parameters grouped in order', () => {
    expect(parseTarget('/check')).toEqual({ path: '/check', rawQuery: '', query: [] });
    expect(parseTarget('/check?')).toEqual({ path: '/check', rawQuery: '', query: [] });
    expect(parseTarget('/check?a=1&b=&a=2&c&a=3?x')).toEqual({
      path: '/check',
      rawQuery: 'a=1&b=&a=2&c&a=3?x',
      query: [
        ['a', ['1', '2', '3?x']],
        ['b', ['']],
        ['c', ['']],
      ],
    });
    expect(parseTarget('/p%20q?a+b=c+d&e%2Bf=%E2%82%AC%20').query).toEqual([
      ['a b', ['c d']],
      ['e+f', ['€ ']],
    ]);
  });
});

describe('replay server query names', () => {
  let server: ReplayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('treats constructor, __proto__ and toString as ordinary parameters', async () => {
    // JSON, as fixtures are read: in an object literal `__proto__` would set the prototype instead.
    const exchanges = JSON.parse(
      '[{"request":{"path":"/check","query":{"constructor":"c","__proto__":["p1","p2"]}},"response":{"status":200}},' +
        '{"request":{"path":"/check","query":{"toString":"t"}},"response":{"status":204}}]',
    ) as Exchange[];
    server = await startReplayServer(exchanges);
    expect((await fetch(`${server.url}/check?constructor=c&__proto__=p1&__proto__=p2`)).status).toBe(200);
    expect((await fetch(`${server.url}/check?toString=t`)).status).toBe(204);
    expect((await fetch(`${server.url}/check?constructor=x`)).status).toBe(500);
    expect(server.received.map((request) => Object.entries(request.query))).toEqual([
      [
        ['constructor', ['c']],
        ['__proto__', ['p1', 'p2']],
      ],
      [['toString', ['t']]],
      [['constructor', ['x']]],
    ]);
  });
});
