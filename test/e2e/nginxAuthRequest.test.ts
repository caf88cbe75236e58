import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange } from '../../scripts/hostile/rawExchange.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { memoryLogger, testBridge, type TestBridge } from '../support/bridge.js';
import { callerFixtures } from '../support/callerFixtures.js';
import { readmeNginxConfig, withTestValues } from '../support/nginxReadme.js';
import { httpPaths, killLeftoverNginx, startNginx, type NginxServer } from '../support/nginxServer.js';
import { startNginxTap, type NginxTap } from '../support/nginxTap.js';
import { closedPort, startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

// nginx with auth_request in front of a static HLS folder, configured with the
// README's snippet, asking the real bridge, which asks a replayed middleware.

const PLAYLIST = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nsegment-0.ts\n#EXT-X-ENDLIST\n';
const SEGMENT = Buffer.alloc(188 * 8, 0x47);
const VIEWER_AGENT = 'VLC/3.0.20 LibVLC/3.0.20';
const PREMIUM = '#EXTM3U\n# premium channel b002\n';

let middleware: ReplayServer;
let bridge: TestBridge;
let running: RunningServer;
let tap: NginxTap;
let nginx: NginxServer;
let nginxPort: number;
/** What the listener logged: the requests Node's parser refused. */
const listenerLines: string[] = [];

/** The HLS folder nginx serves; its workers run as nobody, so everything is world-readable. */
function writeHlsFolder(dir: string): string {
  const www = join(dir, 'www');
  mkdirSync(join(www, 'hls', 'a001'), { recursive: true });
  writeFileSync(join(www, 'hls', 'a001', 'index.m3u8'), PLAYLIST);
  writeFileSync(join(www, 'hls', 'a001', 'segment-0.ts'), SEGMENT);
  mkdirSync(join(www, 'hls', 'b002'));
  writeFileSync(join(www, 'hls', 'b002', 'index.m3u8'), PREMIUM);
  for (const folder of [dir, www, join(www, 'hls'), join(www, 'hls', 'a001'), join(www, 'hls', 'b002')]) {
    chmodSync(folder, 0o755);
  }
  return www;
}

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'));
  bridge = testBridge({ backends: { check: { type: 'http', url: `${middleware.url}/auth/check` } } });
  // The config's own limit, as serve listens: the default must hold what nginx can send it.
  running = await listen(bridge.app, {
    host: '127.0.0.1',
    port: 0,
    maxHeaderBytes: bridge.config.limits.maxHeaderBytes,
    log: memoryLogger(listenerLines),
  });
  tap = await startNginxTap(running.address.port);
  const dir = mkdtempSync(join(tmpdir(), 'bridge-nginx-auth-'));
  const www = writeHlsFolder(dir);
  nginxPort = await closedPort();
  const site = withTestValues(readmeNginxConfig('nginx-auth-request'), [
    ['server 127.0.0.1:8088;', `server 127.0.0.1:${tap.port};`],
    ['listen 8080;', `listen 127.0.0.1:${nginxPort};`],
    ['root /var/www;', `root ${www};`],
  ]);
  nginx = await startNginx({ dir, port: nginxPort, config: `http {\n${httpPaths(dir)}\n${site}}` });
});
afterAll(async () => {
  // What the real server sent, for the closing report and the recorded fixtures.
  console.info(`what nginx sent the bridge:\n${tap?.requests.map((r) => JSON.stringify(r)).join('\n')}`);
  await nginx?.stop();
  killLeftoverNginx();
  await tap?.close();
  await running?.stop(100);
  await bridge?.close();
  await middleware?.close();
});

async function view(path: string, headers: Record<string, string> = {}) {
  const res = await request(`http://127.0.0.1:${nginxPort}${path}`, {
    headers: { 'user-agent': VIEWER_AGENT, ...headers },
  });
  return { status: res.statusCode, type: res.headers['content-type'], body: Buffer.from(await res.body.arrayBuffer()) };
}

describe('nginx auth_request in front of an HLS folder, asking the bridge', () => {
  it('serves the playlist and its segment to a viewer with a good token, asking the middleware once', async () => {
    const playlist = await view('/hls/a001/index.m3u8?token=good-token');
    expect(playlist.status).toBe(200);
    expect(playlist.type).toBe('application/vnd.apple.mpegurl');
    expect(playlist.body.toString()).toBe(PLAYLIST);
    const segment = await view('/hls/a001/segment-0.ts?token=good-token');
    expect(segment.status).toBe(200);
    expect(segment.body.equals(SEGMENT)).toBe(true);

    const asked = middleware.received.filter((r) => r.query.token?.[0] === 'good-token');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({
      rawQuery: 'token=good-token',
      headers: { 'x-real-ip': '127.0.0.1', 'x-real-path': '/hls/a001/index.m3u8', 'x-real-ua': VIEWER_AGENT },
    });
  });

  it('refuses a viewer with a bad token: 403 and none of the file', async () => {
    const denied = await view('/hls/a001/index.m3u8?token=bad-token');
    expect(denied.status).toBe(403);
    expect(denied.body.toString()).not.toContain('#EXTM3U');
    expect(middleware.received.some((r) => r.query.token?.[0] === 'bad-token')).toBe(true);
  });

  it('denies a query the viewer made malformed with 403, not nginx 500: a viewer cannot raise 5xx alerts', async () => {
    for (const query of ['token=a&token=b', 'token=%zz', 'token=good-token&Token=other']) {
      const denied = await view(`/hls/a001/index.m3u8?${query}`);
      expect(denied.status, query).toBe(403);
      expect(denied.body.toString(), query).not.toContain('#EXTM3U');
    }
  });

  it("denies a viewer's longest request nginx takes (8 KiB URI, 8 KiB User-Agent) with 403, not nginx 500", async () => {
    // nginx's default large_client_header_buffers (8 KiB a line): its subrequest carries both on, over 16 KiB.
    const path = `/hls/a001/index.m3u8?token=bad-token&x=${'a'.repeat(8120)}`;
    const denied = await view(path, { 'user-agent': 'b'.repeat(8175) });
    expect(denied.status).toBe(403);
    expect(nginx.errorLog()).not.toContain('auth request unexpected status');
  });

  it('denies a viewer whose User-Agent holds a control byte with 403, not nginx 500: nginx passes it on, Node refuses it', async () => {
    for (const agent of ['VLC\x01', 'VLC\x7f', 'VLC\x1b[2J']) {
      const { statuses, reply } = await rawExchange(nginxPort, {
        pieces: [
          Buffer.from(
            `GET /hls/a001/index.m3u8?token=good-token HTTP/1.1\r\nHost: x\r\nUser-Agent: ${agent}\r\nConnection: close\r\n\r\n`,
            'latin1',
          ),
        ],
      });
      expect(statuses, JSON.stringify(agent)).toEqual([403]);
      expect(reply).not.toContain('#EXTM3U');
    }
    expect(nginx.errorLog()).not.toContain('auth request unexpected status');
    const refused = listenerLines.map((line) => JSON.parse(line)).filter((line) => line.decision === 'refused');
    expect(refused).toHaveLength(3);
    for (const line of refused)
      expect(line).toMatchObject({ dialect: 'nginx-auth-request', status: 403, reason: 'malformed HTTP request' });
  });

  it('lets no viewer choose what the bridge reads: their X-Original-URI, X-Real-IP and X-Session-ID never reach it', async () => {
    const forged = {
      'x-original-uri': '/hls/a001/index.m3u8?token=good-token',
      'x-real-ip': '203.0.113.50',
      'x-session-id': 'chosen-by-viewer',
    };
    const denied = await view('/hls/a001/index.m3u8?token=bad-token&forged=1', forged);
    expect(denied.status).toBe(403);
    const check = tap.requests.find((r) => r.headers.some(([, value]) => value.includes('forged=1')))!;
    const headers = new Map(check.headers.map(([name, value]) => [name.toLowerCase(), value]));
    expect(headers.get('x-original-uri')).toBe('/hls/a001/index.m3u8?token=bad-token&forged=1');
    expect(headers.get('x-real-ip')).toBe('127.0.0.1');
    expect(headers.has('x-session-id')).toBe(false);
  });

  it('refuses a path nginx resolves to another channel: a dot segment or an encoded slash never reaches the middleware', async () => {
    // nginx decodes and resolves these before serving: each serves /hls/b002/index.m3u8, while the
    // segment before the file name reads a001. Sent as written (a URL object would resolve `%2e%2e`).
    const client = new Client(`http://127.0.0.1:${nginxPort}`);
    try {
      for (const path of [
        '/hls/b002/a001/..%2Findex.m3u8',
        '/hls/b002/a001/%2E%2E%2Findex.m3u8',
        '/hls/b002/a001/%2e%2e/index.m3u8',
      ]) {
        const res = await client.request({ method: 'GET', path: `${path}?token=good-token` });
        const body = await res.body.text();
        expect(res.statusCode, path).toBe(403);
        expect(body, path).not.toContain('premium');
      }
    } finally {
      await client.close();
    }
    expect(middleware.received.some((r) => r.headers['x-real-path']?.includes('b002'))).toBe(false);
  });

  it('sent the bridge the viewer in X-Original-URI and X-Real-IP, as the recorded fixture holds it', () => {
    const playlistCheck = tap.requests.find((r) =>
      r.headers.some(([name, value]) => name === 'X-Original-URI' && value === '/hls/a001/index.m3u8?token=good-token'),
    );
    expect(playlistCheck).toMatchObject({ method: 'GET', target: '/auth', body: '' });
    const headers = new Map(playlistCheck!.headers.map(([name, value]) => [name.toLowerCase(), value]));
    expect(headers.get('x-real-ip')).toBe('127.0.0.1');
    expect(headers.get('user-agent')).toBe(VIEWER_AGENT);
    expect(headers.get('host')).toBe('iptv_auth_bridge');

    const recorded = callerFixtures().find((fixture) => fixture.file === 'nginx-auth-request/recorded-playlist.json')!;
    expect(recorded.source).toMatch(/^recorded from nginx 1\.22\.1/);
    const framing = new Set(['host', 'connection', 'content-length']);
    const recordedNames = Object.keys(recorded.request.headers).map((name) => name.toLowerCase());
    expect(recordedNames.sort()).toEqual([...headers.keys()].filter((name) => !framing.has(name)).sort());
  });

  // Last: it takes the bridge away from nginx.
  it('fails closed when the bridge cannot be reached: nginx answers 500 and serves nothing', async () => {
    await tap.close();
    const unreachable = await view('/hls/a001/index.m3u8?token=good-token');
    expect(unreachable.status).toBe(500);
    expect(unreachable.body.toString()).not.toContain('#EXTM3U');
  });
});
