import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { testBridge } from '../support/bridge.js';
import { listenOnLoopback } from '../support/loopback.js';
import { useReplayedMiddleware } from '../support/replayedMiddleware.js';

// A Cesbo caller's archive check asks the portal about the same stream as its live check
// (README, Ministra: TV archive), through the real caller reading and a replayed portal.

const portal = useReplayedMiddleware('ministra');
/** Ministra's recorded allow. */
const TOKEN = '6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7';

const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of running.splice(0)) await close();
});

/** What the portal is asked for an Alta viewer (no X-Channel-ID) on `path`. */
async function portalAskedFor(path: string, headers: Record<string, string> = {}) {
  const bridge = testBridge({
    backends: { portal: { type: 'ministra', url: `${portal.url}/stalker_portal`, timeoutMs: 1000 } },
  });
  const server = await listenOnLoopback(bridge.app);
  running.push(server.close, () => bridge.close());
  const next = portal.nextRequest();
  await request(server.url)
    .get(`/auth?token=${TOKEN}`)
    .set({ 'X-Real-IP': '203.0.113.1', 'X-Real-Path': path, ...headers })
    .expect(200);
  return (await next).query;
}

describe('a Ministra archive check names the stream as the live check does', () => {
  it.each([
    ['/play/a001/index.m3u8', 'a001', undefined],
    ['/play/a001/index-1700000000-3600.m3u8', 'a001', 'dvr_session-hls_mbr_playlist-1700000000-3600'],
    ['/tv/travel-channel/index.m3u8', 'travel-channel', undefined],
    ['/tv/travel-channel/mono-1700000000-60.m3u8', 'travel-channel', 'dvr_session-hls_playlist-1700000000-60'],
    ['/play/a001/archive-1700000000-3600.ts', 'a001', 'dvr_stream_handler-ts_file-1700000000-3600'],
    ['/play/a001/archive-1700000000-3600.mp4', 'a001', 'dvr_handler-mp4-1700000000-3600'],
    ['/play/a001/archive/1700000000/3600/mpegts', 'a001', 'dvr_stream_handler-ts_stream-1700000000-3600'],
    ['/play/a001/timeshift_abs-1700000000.ts', 'a001', 'dvr_handler-timeshift_abs-1700000000'],
    ['/play/a001/timeshift_abs-1700000000.m3u8', 'a001', 'hls_timeshift_playlist-hls_timeshift_abs-1700000000'],
    ['/play/a001/timeshift_rel-360.m3u8', 'a001', 'hls_timeshift_playlist-hls_timeshift_rel-360'],
    ['/play/a001/timeshift_rel/3600', 'a001', 'dvr_handler-timeshift_rel-3600'],
    ['/tv/%D0%BF%D0%B5%D1%80%D0%B2%D1%8B%D0%B9/index-1-2.m3u8', 'первый', 'dvr_session-hls_mbr_playlist-1-2'],
  ])('%s → name=%s, media_request %s', async (path, name, mediaRequest) => {
    const asked = await portalAskedFor(path);
    expect(asked.name).toEqual([name]);
    expect(asked.media_request).toEqual(mediaRequest === undefined ? undefined : [mediaRequest]);
  });

  it("Astra's channel id names the stream of live and archive checks alike", async () => {
    const astra = { 'X-Channel-ID': 'first' };
    expect((await portalAskedFor('/play/a001/index.m3u8', astra)).name).toEqual(['first']);
    expect((await portalAskedFor('/play/a001/index-1700000000-3600.m3u8', astra)).name).toEqual(['first']);
  });
});
