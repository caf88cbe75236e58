import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { testBridge, type TestBridge } from '../support/bridge.js';
import { listenOnLoopback, type LoopbackServer } from '../support/loopback.js';
import { useReplayedMiddleware } from '../support/replayedMiddleware.js';

// The default cache key (README, Decision cache), checked against real replayed middlewares that
// decide on more than the token: a cached answer is never reused for a check the middleware would
// answer otherwise, yet a viewer's HLS segments of one channel still share one answer.

const check = useReplayedMiddleware('http');
const portal = useReplayedMiddleware('ministra');
const flussonic = useReplayedMiddleware('flussonic');

const running: { bridge: TestBridge; server: LoopbackServer }[] = [];
afterEach(async () => {
  for (const { bridge, server } of running.splice(0)) {
    await server.close();
    await bridge.close();
  }
});

/** A bridge with one backend and no cache.key, listening on loopback; its base URL. */
async function bridgeAsking(backend: Record<string, unknown>, cache: object = {}): Promise<string> {
  const bridge = testBridge({
    cache,
    backends: { mw: { timeoutMs: 1000, ...backend } },
    routes: { default: { backends: ['mw'] } },
  });
  const server = await listenOnLoopback(bridge.app);
  running.push({ bridge, server });
  return server.url;
}

const LIVE = '/play/a001/index.m3u8';
/** What Astra sends for one viewer watching a001 live: changed one header at a time below. */
const ASTRA = {
  'X-Real-IP': '203.0.113.1',
  'X-Real-Path': LIVE,
  'X-Real-UA': 'VLC/3.0.20',
  'X-Session-ID': '1',
  'X-Real-Host': 'tv.example.com',
} as const;

const askCesbo = (base: string, query: string, headers: Record<string, string>) =>
  request(base).get(`/auth?${query}`).set(headers);

describe('the default key of a route with a Cesbo-style backend', () => {
  it.each([
    ['the archive request of the channel', { 'X-Real-Path': '/play/a001/archive-1700000000-3600.ts' }],
    ['another user agent', { 'X-Real-UA': 'bad' }],
    ['another session', { 'X-Session-ID': '666' }],
    ['another host', { 'X-Real-Host': 'evil.example.net' }],
    ['another origin (Alta)', { 'X-Real-Origin': 'http://evil.example.net' }],
  ])('does not reuse a token’s allow for %s, which the middleware refuses', async (_, changed) => {
    const base = await bridgeAsking({ type: 'http', url: `${check.url}/viewer-check` });
    await askCesbo(base, 'token=T1', ASTRA).expect(200);
    const asked = check.received.length;
    await askCesbo(base, 'token=T1', { ...ASTRA, ...changed }).expect(403);
    expect(check.received.length).toBe(asked + 1);
    // The refusal is the middleware's own: a token never seen before gets it too.
    await askCesbo(base, 'token=T2', { ...ASTRA, ...changed }).expect(403);
  });

  it('shares one answer among the live paths of a channel (HLS segments), and asks per path when cache.key lists it', async () => {
    const segments = ['/play/a001/index.m3u8', '/play/a001/seg-1.ts', '/play/a001/seg-2.ts'];
    const base = await bridgeAsking({ type: 'http', url: `${check.url}/viewer-check` });
    const asked = check.received.length;
    for (const path of segments) await askCesbo(base, 'token=T3', { ...ASTRA, 'X-Real-Path': path }).expect(200);
    expect(check.received.length).toBe(asked + 1);

    const byPath = await bridgeAsking(
      { type: 'http', url: `${check.url}/viewer-check` },
      { key: ['query', 'ip', 'channel', 'path'] },
    );
    for (const path of segments) await askCesbo(byPath, 'token=T3', { ...ASTRA, 'X-Real-Path': path }).expect(200);
    expect(check.received.length).toBe(asked + 1 + segments.length);
  });
});

describe('the default key keeps apart the folders that lead to a channel', () => {
  const rtmp = (base: string, app: string) =>
    request(base)
      .post('/nginx-rtmp')
      .type('form')
      .send(`call=play&addr=203.0.113.7&clientid=ap1&app=${app}&name=a001&tcurl=rtmp://127.0.0.1/${app}&token=T4`);

  it('does not reuse an allow of one nginx-rtmp application for another, which the middleware refuses', async () => {
    const base = await bridgeAsking({ type: 'http', url: `${check.url}/viewer-check` });
    const asked = check.received.length;
    await rtmp(base, 'live').expect(200);
    await rtmp(base, 'premium').expect(403);
    expect(check.received.slice(asked).map((got) => got.headers['x-real-path'])).toEqual([
      '/live/a001',
      '/premium/a001',
    ]);
  });
});

describe('the default key of a route with a Flussonic-style backend', () => {
  const CATCHUP_TOKEN = 'c0ffee00c0ffee00c0ffee00c0ffee00';

  it('keeps a Ministra live allow from answering the archive request the portal refuses', async () => {
    const base = await bridgeAsking({ type: 'ministra', url: `${portal.url}/stalker_portal` });
    const alta = { 'X-Real-IP': '203.0.113.1', 'X-Session-ID': '7', 'X-Real-UA': 'VLC/3.0.20' };
    await askCesbo(base, `token=${CATCHUP_TOKEN}`, { ...alta, 'X-Real-Path': LIVE }).expect(200);
    await askCesbo(base, `token=${CATCHUP_TOKEN}`, {
      ...alta,
      'X-Real-Path': '/play/a001/index-1700000000-3600.m3u8',
    }).expect(403);
    expect(portal.received.at(-1)!.query.media_request).toEqual(['dvr_session-hls_mbr_playlist-1700000000-3600']);
    // The live allow still answers live checks after the portal forgot the token: from the cache.
    const asked = portal.received.length;
    await askCesbo(base, `token=${CATCHUP_TOKEN}`, { ...alta, 'X-Real-Path': '/play/a001/seg-9.ts' }).expect(200);
    expect(portal.received.length).toBe(asked);
  });

  const askFlussonic = (base: string, params: Record<string, string>) =>
    request(base)
      .get('/flussonic')
      .query({ name: 'a001', ip: '203.0.113.1', token: 'catchup-token', session_id: '9', ...params });

  it("keys a Flussonic caller's own parameters (media_request), not its per-request counters", async () => {
    const base = await bridgeAsking({ type: 'flussonic', url: `${flussonic.url}/flussonic/auth` });
    const asked = flussonic.received.length;
    await askFlussonic(base, { request_type: 'new_session', request_number: '1', stream_clients: '3' }).expect(200);
    await askFlussonic(base, {
      request_type: 'update_session',
      request_number: '2',
      stream_clients: '4',
      bytes: '9000',
    }).expect(200);
    expect(flussonic.received.length).toBe(asked + 1);
    await askFlussonic(base, { media_request: 'dvr_session-hls_mbr_playlist-1700000000-3600' }).expect(403);
    expect(flussonic.received.length).toBe(asked + 2);
  });

  it('does not reuse an allow for another user agent or referer: the backend receives them', async () => {
    const base = await bridgeAsking({ type: 'flussonic', url: `${flussonic.url}/flussonic/auth` });
    const asked = flussonic.received.length;
    await askFlussonic(base, { user_agent: 'VLC/3.0.20' }).expect(200);
    await askFlussonic(base, { user_agent: 'bad' }).expect(200);
    await askFlussonic(base, { user_agent: 'VLC/3.0.20', referer: 'http://evil.example.net/' }).expect(200);
    expect(flussonic.received.map((got) => [got.query.user_agent, got.query.referer]).slice(asked)).toEqual([
      [['VLC/3.0.20'], undefined],
      [['bad'], undefined],
      [['VLC/3.0.20'], ['http://evil.example.net/']],
    ]);
  });
});
