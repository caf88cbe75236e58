import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckAnswered, SessionEnded } from '../../src/observe.js';
import { listen, type RunningServer } from '../../src/server/listen.js';
import { memoryLogger, testBridge, type TestBridge } from '../support/bridge.js';
import { bodyText, callerFixtures } from '../support/callerFixtures.js';
import { publishTestSource, type Publisher } from '../support/ffmpegPublisher.js';
import { readmeNginxConfig, withTestValues } from '../support/nginxReadme.js';
import { playWithRtmpdump } from '../support/nginxRtmpPlayer.js';
import { killLeftoverNginx, startNginx, type NginxServer } from '../support/nginxServer.js';
import { startNginxTap, type NginxTap } from '../support/nginxTap.js';
import { closedPort, startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

// nginx-rtmp configured with the README's snippet, on_publish/on_play/on_play_done
// pointing at the real bridge (through a tap that keeps what nginx sent), a
// stream published by ffmpeg and played by rtmpdump.

const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
const PLAY_WITHIN_MS = 8000;

let middleware: ReplayServer;
let bridge: TestBridge;
let running: RunningServer;
let tap: NginxTap;
let nginx: NginxServer;
let publisher: Publisher;
let rtmpBase: string;

/** Observed events, and a way to wait for the one a test expects, within `EVENT_WITHIN_MS`. */
const EVENT_WITHIN_MS = 8000;
const events: Array<CheckAnswered | SessionEnded> = [];
const waiters: Array<() => void> = [];
function observed<T extends CheckAnswered | SessionEnded>(
  what: string,
  match: (event: CheckAnswered | SessionEnded) => event is T,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`the bridge saw no ${what} within ${EVENT_WITHIN_MS} ms; nginx's log:\n${nginx?.errorLog()}`)),
      EVENT_WITHIN_MS,
    );
    const look = () => {
      const found = events.find(match);
      if (found === undefined) return false;
      clearTimeout(timer);
      resolve(found);
      return true;
    };
    if (!look()) waiters.push(() => void look());
  });
}
function record(event: CheckAnswered | SessionEnded): void {
  events.push(event);
  for (const waiter of waiters) waiter();
}
const isCheck = (event: CheckAnswered | SessionEnded): event is CheckAnswered => 'outcome' in event;
const tokenOf = (event: CheckAnswered | SessionEnded) => (isCheck(event) ? event.viewer?.token : undefined);

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'));
  bridge = testBridge(
    {
      backends: { check: { type: 'http', url: `${middleware.url}/auth/check` } },
      routes: { default: { backends: ['check'], publish: 'check' } },
    },
    { observer: { checkAnswered: record, sessionEnded: record } },
  );
  running = await listen(bridge.app, { host: '127.0.0.1', port: 0, maxHeaderBytes: 16_384, log: memoryLogger([]) });
  tap = await startNginxTap(running.address.port);
  const port = await closedPort();
  const config = withTestValues(readmeNginxConfig('nginx-rtmp'), [
    ['127.0.0.1:8088', `127.0.0.1:${tap.port}`],
    ['listen 1935;', `listen 127.0.0.1:${port};`],
  ]);
  nginx = await startNginx({
    dir: mkdtempSync(join(tmpdir(), 'bridge-nginx-rtmp-')),
    port,
    config,
    modules: [RTMP_MODULE],
  });
  rtmpBase = `rtmp://127.0.0.1:${port}/live`;
  publisher = publishTestSource(`${rtmpBase}/a001?token=good-token`, 30);
  // The stream is live once the bridge has let the publisher in (the route's publish: check).
  await observed(
    'allowed publish',
    (event): event is CheckAnswered => isCheck(event) && event.viewer?.publishing === true && event.outcome === 'allow',
  );
});
afterAll(async () => {
  // What the real server sent, for the closing report and the recorded fixtures.
  console.info(`what nginx-rtmp sent the bridge:\n${tap?.requests.map((r) => JSON.stringify(r)).join('\n')}`);
  await publisher?.stop();
  await nginx?.stop();
  killLeftoverNginx();
  await tap?.close();
  await running?.stop(100);
  await bridge?.close();
  await middleware?.close();
});

describe('nginx-rtmp on_play through the bridge, played by rtmpdump', () => {
  it('plays to a viewer with a good token: media arrives, and play_done ends the session', async () => {
    const played = await playWithRtmpdump(`${rtmpBase}/a001?token=good-token`, PLAY_WITHIN_MS);
    expect(played.outcome, publisher.output()).toBe('media');
    expect(played.flv.toString('latin1', 0, 3)).toBe('FLV');

    const check = await observed(
      'play check',
      (event): event is CheckAnswered =>
        isCheck(event) && event.viewer?.publishing !== true && tokenOf(event) === 'good-token',
    );
    expect(check).toMatchObject({
      protocol: 'nginx-rtmp',
      outcome: 'allow',
      status: 200,
      viewer: { channel: 'a001', ip: '127.0.0.1', proto: 'rtmp' },
    });
    // The Cesbo-style middleware gets the viewer's own query, none of nginx-rtmp's form fields.
    const asked = middleware.received.find((r) => r.headers['x-session-id'] === check.viewer?.session);
    expect(asked).toMatchObject({
      rawQuery: 'token=good-token',
      headers: { 'x-real-ip': '127.0.0.1', 'x-real-path': '/live/a001' },
    });
    const ended = await observed(
      'play_done',
      (event): event is SessionEnded => !isCheck(event) && event.session === check.viewer?.session,
    );
    expect(ended).toMatchObject({ protocol: 'nginx-rtmp', reason: 'play_done' });
  });

  it('refuses a viewer with a bad token: rtmpdump ends without media', async () => {
    const played = await playWithRtmpdump(`${rtmpBase}/a001?token=bad-token`, PLAY_WITHIN_MS);
    expect(played.outcome).toBe('refused');
    expect(played.flv.length).toBe(0);
    expect(events.find((event) => tokenOf(event) === 'bad-token')).toMatchObject({ outcome: 'deny', status: 403 });
    expect(middleware.received.some((r) => r.query.token?.[0] === 'bad-token')).toBe(true);
  });

  it('refuses a viewer who puts nginx-rtmp’s own fields in the query (addr=) rather than believing either', async () => {
    const played = await playWithRtmpdump(`${rtmpBase}/a001?addr=203.0.113.50&token=good-token`, PLAY_WITHIN_MS);
    expect(played.outcome).toBe('refused');
    expect(played.flv.length).toBe(0);
    const forged = tap.requests.find((r) => r.body.includes('addr=203.0.113.50'))!;
    expect(forged.body).toMatch(/&addr=127\.0\.0\.1&.*&addr=203\.0\.113\.50&token=good-token$/);
    expect(events.find((event) => isCheck(event) && event.status === 400)).toMatchObject({
      protocol: 'nginx-rtmp',
      outcome: 'refused',
    });
  });

  it('sent the bridge a form with the viewer’s own query appended, as the recorded fixture holds it', () => {
    const form = (body: string) => new URLSearchParams(body);
    const plays = tap.requests.filter((r) => form(r.body).get('call') === 'play');
    expect(plays.map((r) => form(r.body).get('token'))).toEqual(['good-token', 'bad-token', 'good-token']);
    const play = plays[0]!;
    expect(play).toMatchObject({ method: 'POST', target: '/nginx-rtmp' });
    expect(play.headers).toContainEqual(['Content-Type', 'application/x-www-form-urlencoded']);
    expect(Object.fromEntries(form(play.body))).toMatchObject({
      app: 'live',
      name: 'a001',
      addr: '127.0.0.1',
      tcurl: rtmpBase,
      token: 'good-token',
    });

    const recorded = callerFixtures().find((fixture) => fixture.file === 'nginx-rtmp/recorded-play.json')!;
    expect(recorded.source).toMatch(/^recorded from nginx 1\.22\.1/);
    expect([...form(bodyText(recorded)!).keys()]).toEqual([...form(play.body).keys()]);
  });

  // Last: it takes the bridge away from nginx-rtmp.
  it('fails closed when the bridge cannot be reached: nginx-rtmp drops the player', async () => {
    await tap.close();
    const played = await playWithRtmpdump(`${rtmpBase}/a001?token=good-token`, PLAY_WITHIN_MS);
    expect(played.outcome).toBe('refused');
    expect(played.flv.length).toBe(0);
  });
});
