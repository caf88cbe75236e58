import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ministraEndpoint } from '../../src/adapters/ministra.js';
import { MiddlewareClient } from '../../src/adapters/transport.js';
import type { ReplayServer } from '../support/replayServer.js';
import { adapterFrom, astraViewer, check, replayFixtures } from './support.js';

const CHECK_PATH = '/stalker_portal/server/api/chk_flussonic_tmp_link.php';
const ALLOWED = '6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7';
const ARCHIVE_TOKEN = 'a4c2e0f8d6b4a29078f6e4d2c0b8a6f4';

const client = new MiddlewareClient();
let portal: ReplayServer;

beforeAll(async () => {
  portal = await replayFixtures('ministra');
});

afterAll(async () => {
  await portal.close();
  await client.close();
});

const ministra = (settings: Record<string, unknown> = {}) =>
  adapterFrom({ type: 'ministra', url: `${portal.url}/stalker_portal`, timeoutMs: 500, ...settings }, client);

describe('ministra endpoint', () => {
  it.each([
    [
      'http://mw.example.com/stalker_portal',
      'http://mw.example.com/stalker_portal/server/api/chk_flussonic_tmp_link.php',
    ],
    [
      'http://mw.example.com/stalker_portal/',
      'http://mw.example.com/stalker_portal/server/api/chk_flussonic_tmp_link.php',
    ],
    ['http://mw.example.com/', 'http://mw.example.com/server/api/chk_flussonic_tmp_link.php'],
    [
      'https://user:pw@mw.example.com:8443/portal?site=2',
      'https://user:pw@mw.example.com:8443/portal/server/api/chk_flussonic_tmp_link.php?site=2',
    ],
    [
      'http://mw.example.com/stalker_portal/server/api/chk_flussonic_tmp_link.php',
      'http://mw.example.com/stalker_portal/server/api/chk_flussonic_tmp_link.php',
    ],
    ['http://mw.example.com/custom/check.PHP?x=1', 'http://mw.example.com/custom/check.PHP?x=1'],
  ])('%s → %s', (url, endpoint) => {
    expect(ministraEndpoint(url)).toBe(endpoint);
  });

  it('a full .php URL is called as given', async () => {
    const adapter = adapterFrom({ type: 'ministra', url: `${portal.url}${CHECK_PATH}` }, client);
    expect(await check(adapter, astraViewer(ALLOWED))).toMatchObject({ outcome: 'allow' });
    expect(portal.received.at(-1)!.path).toBe(CHECK_PATH);
  });
});

describe('ministra answers', () => {
  it("an allow carries the STB id, 10 h, X-Unique and the portal's X-Max-Sessions", async () => {
    expect(await check(ministra(), astraViewer(ALLOWED))).toEqual({
      outcome: 'allow',
      info: {
        sessionName: '1042',
        userId: '1042',
        redirect: undefined,
        authDuration: 36000,
        maxSessions: 10,
        unique: true,
      },
      notes: [],
    });
  });

  it("maxSessions in the config replaces the portal's X-Max-Sessions", async () => {
    expect(await check(ministra({ maxSessions: 2 }), astraViewer(ALLOWED))).toMatchObject({
      outcome: 'allow',
      info: { maxSessions: 2, userId: '1042' },
    });
  });

  it('maxSessions leaves denies and errors as they are', async () => {
    expect(await check(ministra({ maxSessions: 2 }), astraViewer('0b8d6f4e2c1a39578e6d4c2b0a9f8e7d'))).toMatchObject({
      outcome: 'deny',
    });
    expect(await check(ministra({ maxSessions: 2 }), astraViewer('5e3c1a9f7d5b43218f6e4d2c0b9a8f7e'))).toMatchObject({
      outcome: 'error',
      error: 'server-error',
    });
  });

  it.each([
    ['no token', undefined],
    ['an empty token', ''],
  ])('%s → deny without asking the portal', async (_, token) => {
    const before = portal.received.length;
    expect(await check(ministra(), astraViewer(token))).toEqual({
      outcome: 'deny',
      info: {},
      notes: [],
      unasked: true,
    });
    expect(portal.received.length).toBe(before);
  });

  it.each([
    ['an expired token', '0b8d6f4e2c1a39578e6d4c2b0a9f8e7d', { outcome: 'deny' }],
    [
      'a redirect to the HTTPS portal',
      '3c9e7a5b1d0f48266a4c2e0f8d6b4a29',
      {
        outcome: 'deny',
        info: { redirect: 'https://mw.example.com/stalker_portal/server/api/chk_flussonic_tmp_link.php' },
      },
    ],
    [
      'X-AuthDuration: abc',
      '9d7b5f3e1c0a48266e4c2a0f9e8d7c6b',
      {
        outcome: 'allow',
        info: { authDuration: undefined, userId: '2077' },
        notes: [expect.stringContaining('x-authduration')],
      },
    ],
    ['PHP down (500)', '5e3c1a9f7d5b43218f6e4d2c0b9a8f7e', { outcome: 'error', error: 'server-error' }],
    ['php-fpm down (502)', '7a5c3e1f9b7d45238a6c4e2f0d8b6a4c', { outcome: 'error', error: 'server-error' }],
    ['a slow portal', 'c1e3a5f7b9d0e2f4a6c8e0b2d4f6a8c0', { outcome: 'error', error: 'timeout' }],
    ['a portal that never answers', 'e2f4a6c8e0b2d4f6a8c0e1f3a5c7e9b1', { outcome: 'error', error: 'timeout' }],
    ['a reset connection', 'f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3', { outcome: 'error', error: 'reset' }],
    ['a 70 000-byte answer', 'd4b6f8a0c2e4a6b8d0f2c4e6a8b0d2f4', { outcome: 'error', error: 'too-large' }],
    [
      'a PHP notice as body, no body rule',
      'b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5',
      { outcome: 'allow', info: { userId: '1044' } },
    ],
  ])('%s', async (_, token, verdict) => {
    expect(await check(ministra(), astraViewer(token))).toMatchObject(verdict);
  });

  it('a PHP notice where a body rule expects JSON is an error', async () => {
    const adapter = ministra({ body: { format: 'json', path: 'status', allow: ['ok'] } });
    expect(await check(adapter, astraViewer('b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5'))).toMatchObject({
      outcome: 'error',
      error: 'unparseable',
    });
  });
});

describe('ministra TV archive', () => {
  it("an archive path names the stream and sends Flussonic's media_request", async () => {
    const viewer = astraViewer(ARCHIVE_TOKEN, { path: '/tv1000/index-1700000000-3600.m3u8', channel: 'tv1000' });
    expect(await check(ministra(), viewer)).toMatchObject({ outcome: 'allow', info: { userId: '1042' } });
    expect(portal.received.at(-1)!.query).toMatchObject({
      name: ['tv1000'],
      proto: ['hls'],
      media_request: ['dvr_session-hls_mbr_playlist-1700000000-3600'],
    });
  });

  it('the stream of an MPEG-TS archive is the channel, as for live viewing', async () => {
    await check(
      ministra(),
      astraViewer(ALLOWED, { path: '/tv1000/archive/1700000000/3600/mpegts', channel: 'tv1000', channelId: 'tv1000' }),
    );
    expect(portal.received.at(-1)!.query).toMatchObject({
      name: ['tv1000'],
      media_request: ['dvr_stream_handler-ts_stream-1700000000-3600'],
    });
  });

  it('live requests carry no media_request', async () => {
    await check(ministra(), astraViewer(ALLOWED));
    const got = portal.received.at(-1)!;
    expect(got.query.name).toEqual(['a001']);
    expect(got.query.media_request).toBeUndefined();
  });
});
