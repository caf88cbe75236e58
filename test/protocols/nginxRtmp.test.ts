import { describe, expect, it } from 'vitest';
import { nginxRtmpCaller } from '../../src/protocols/nginxRtmp.js';
import { formBody, hookPost, LIMITS, problemOf } from './support.js';

describe('nginx-rtmp', () => {
  const read = (text: string) => nginxRtmpCaller.read(hookPost, undefined, LIMITS, formBody(text));
  const session =
    'app=live&flashver=LNX%209%2C0&swfurl=&tcurl=rtmp%3A%2F%2Fh%2Flive&pageurl=http%3A%2F%2Fsite%2F&addr=203.0.113.7&clientid=12';

  it("reads on_play; the pairs nginx-rtmp did not write are the viewer's own query, kept raw", () => {
    expect(
      read(`${session}&call=play&name=a001&start=4294965296&duration=0&reset=0&token=t%2B1&lang=en`),
    ).toMatchObject({
      dialect: 'nginx-rtmp',
      ip: '203.0.113.7',
      session: '12',
      channel: 'a001',
      channelId: 'a001',
      path: '/live/a001',
      proto: 'rtmp',
      referer: 'http://site/',
      rawQuery: 'token=t%2B1&lang=en',
      token: 't+1',
    });
  });

  it('publish publishes; play_done and done end the session; update and the others only report', () => {
    expect(read(`${session}&call=publish&name=a&type=live`).publishing).toBe(true);
    expect(read(`${session}&call=play_done&name=a`).notice).toEqual({ event: 'play_done', endsSession: true });
    expect(read(`${session}&call=done&name=a`).notice).toEqual({ event: 'done', endsSession: true });
    for (const call of ['update', 'update_play', 'connect', 'publish_done', 'record_done'])
      expect(read(`${session}&call=${call}`).notice?.endsSession).toBe(false);
  });

  it('a viewer parameter that collides with one nginx-rtmp writes is ambiguous: 400', () => {
    expect(problemOf(() => read(`${session}&call=play&name=a001&addr=198.51.100.1`))?.message).toBe(
      'query parameter "addr" is given more than once',
    );
  });
});
