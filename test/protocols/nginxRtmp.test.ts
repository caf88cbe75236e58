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
    for (const call of ['update', 'connect', 'disconnect', 'publish_done', 'record_done'])
      expect(read(`${session}&call=${call}`).notice?.endsSession).toBe(false);
  });

  it("decides on_update's update_play as a play and update_publish as a publish (nginx-rtmp 1.2 names them)", () => {
    // As nginx-rtmp 1.2.2 sends them (recorded from Debian's libnginx-mod-rtmp), the viewer's query after its own.
    const play = read(`${session}&call=update_play&time=5&timestamp=6300&name=a001&token=good-token`);
    expect(play).toMatchObject({ channel: 'a001', token: 'good-token', rawQuery: 'token=good-token', session: '12' });
    expect(play.notice).toBeUndefined();
    expect(play.publishing).toBeUndefined();
    const publish = read(`${session}&call=update_publish&time=5&timestamp=4500&name=a001&token=good-token`);
    expect(publish.publishing).toBe(true);
    expect(publish.notice).toBeUndefined();
  });

  it('reads a disconnect that names app twice, as nginx-rtmp writes it itself, but not two apps that differ', () => {
    const disconnect = read('app=live&flashver=LNX&addr=127.0.0.1&clientid=8&call=disconnect&app=live');
    expect(disconnect.notice).toEqual({ event: 'disconnect', endsSession: false });
    // One that never sent connect: both empty.
    expect(read('app=&flashver=&addr=127.0.0.1&clientid=9&call=disconnect&app=').notice?.event).toBe('disconnect');
    expect(problemOf(() => read('app=live&addr=127.0.0.1&clientid=8&call=disconnect&app=other'))?.message).toBe(
      'query parameter "app" is given more than once',
    );
    // On a play, a second app is the viewer's and stays ambiguous.
    expect(problemOf(() => read(`${session}&call=play&name=a001&app=live`))?.message).toBe(
      'query parameter "app" is given more than once',
    );
  });

  it('a viewer parameter that collides with one nginx-rtmp writes is ambiguous: 400', () => {
    expect(problemOf(() => read(`${session}&call=play&name=a001&addr=198.51.100.1`))?.message).toBe(
      'query parameter "addr" is given more than once',
    );
  });
});
