import { describe, expect, it } from 'vitest';
import { mediamtxCaller } from '../../src/protocols/mediamtx.js';
import { nginxRtmpCaller } from '../../src/protocols/nginxRtmp.js';
import { srsCaller } from '../../src/protocols/srs.js';
import {
  askedBy,
  ENDS_SESSION,
  hookCaller,
  jsonHookCaller,
  NOTICE,
  PUBLISH,
  READ,
  rtmpViewer,
} from '../../src/protocols/hookBody.js';
import { PLAIN_TEXT, type ReadBody } from '../../src/protocols/types.js';
import { RequestProblem } from '../../src/requestProblem.js';
import { incoming, LIMITS } from './support.js';
import { sketched } from '../support/decisions.js';

const post = incoming('/', {}, 'POST');
const json = (document: Record<string, unknown>): ReadBody => ({ format: 'json', document });
const form = (text: string): ReadBody => ({ format: 'form', text });
const allow = sketched({ allow: true, decidedBy: 'backend:mw', ttlSeconds: 60, sessionName: 'alice', userId: '42' });
const deny = sketched({ allow: false, decidedBy: 'backend:mw', ttlSeconds: 30, redirect: 'http://promo/' });

function problemOf(read: () => unknown): { status: number; message: string } | undefined {
  try {
    read();
  } catch (error) {
    if (error instanceof RequestProblem) return { status: error.status, message: error.message };
    throw error;
  }
  return undefined;
}

describe('MediaMTX', () => {
  const read = (document: Record<string, unknown>) => mediamtxCaller.read(post, '10.0.0.5', LIMITS, json(document));

  it('reads the viewer from the JSON body', () => {
    expect(
      read({
        user: 'anna',
        password: 'p:w',
        token: '',
        ip: '::ffff:203.0.113.7',
        action: 'read',
        path: 'live/sport/hd',
        protocol: 'webrtc',
        id: 'a1b2',
        query: 'token=t1&lang=en',
      }),
    ).toEqual({
      dialect: 'mediamtx',
      caller: '10.0.0.5',
      ip: '203.0.113.7',
      channel: 'hd',
      channelId: undefined,
      path: '/live/sport/hd',
      session: 'a1b2',
      proto: 'webrtc',
      rawQuery: 'token=t1&lang=en',
      token: 't1',
      auth: 'anna:p:w',
      credentials: { login: 'anna', password: 'p:w' },
    });
  });

  it('read and playback are reads; publish, api, metrics, pprof are not; nothing is a notice', () => {
    for (const action of ['read', 'playback']) expect(read({ action, path: 'a' }).publishing).toBeUndefined();
    for (const action of ['publish', 'api', 'metrics', 'pprof'])
      expect(read({ action, path: 'a' }).publishing).toBe(true);
    expect(read({ action: 'read' }).notice).toBeUndefined();
  });

  it('a path with a dot segment is refused (403): MediaMTX would resolve it to another stream', () => {
    expect(() => read({ action: 'read', path: 'live/premium/../a001' })).toThrow('path has a dot segment');
  });

  it('null and empty fields are absent (MediaMTX sends "id": null for the API)', () => {
    const viewer = read({ action: 'api', id: null, user: '', path: '' });
    expect(viewer).toMatchObject({ session: undefined, channel: undefined, path: undefined });
    expect(viewer).not.toHaveProperty('credentials');
  });

  it('answers 200/403 with the common headers', () => {
    expect(mediamtxCaller.answerHeaders(allow)).toEqual({ 'X-Session-Name': 'alice' });
    expect(mediamtxCaller.answerHeaders(deny)).toEqual({ 'X-Location': 'http://promo/' });
  });
});

describe('SRS', () => {
  const read = (document: Record<string, unknown>) => srsCaller.read(post, undefined, LIMITS, json(document));

  it('reads on_play: param is the viewer query, client_id the session (string or number)', () => {
    expect(
      read({
        action: 'on_play',
        client_id: 1985,
        ip: '203.0.113.7',
        vhost: 'v',
        app: 'live',
        stream: 'a001',
        param: '?token=t1',
        pageUrl: 'http://site/',
      }),
    ).toMatchObject({
      dialect: 'srs',
      session: '1985',
      channel: 'a001',
      channelId: 'a001',
      path: '/live/a001',
      proto: 'rtmp',
      referer: 'http://site/',
      rawQuery: 'token=t1',
      token: 't1',
    });
    expect(read({ action: 'on_play', client_id: 'x7', stream: 's' }).session).toBe('x7');
  });

  it('on_publish publishes; on_stop and on_close end the session; the others only report', () => {
    expect(read({ action: 'on_publish', stream: 's' }).publishing).toBe(true);
    expect(read({ action: 'on_stop' }).notice).toEqual({ event: 'on_stop', endsSession: true });
    expect(read({ action: 'on_close' }).notice).toEqual({ event: 'on_close', endsSession: true });
    for (const action of ['on_connect', 'on_unpublish', 'on_dvr', 'on_hls'])
      expect(read({ action }).notice).toEqual({ event: action, endsSession: false });
  });

  it('answers allow with body 0 and deny with a non-zero body', () => {
    expect(srsCaller.answerText).toEqual({ allow: '0', deny: '1' });
  });

  it('refuses a field of the wrong type, naming it', () => {
    expect(problemOf(() => read({ action: 'on_play', stream: ['a'] }))).toEqual({
      status: 400,
      message: '"stream" in the body is not a string',
    });
    expect(problemOf(() => read({ action: 'on_play', client_id: 1.5 }))).toEqual({
      status: 400,
      message: '"client_id" in the body is not a string or a whole number',
    });
  });
});

describe('nginx-rtmp', () => {
  const read = (text: string) => nginxRtmpCaller.read(post, undefined, LIMITS, form(text));
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

describe('the parts every hook caller shares', () => {
  const EVENTS = { play: READ, publish: PUBLISH, stop: ENDS_SESSION, ping: NOTICE };

  it('askedBy: a read asks for a check, a publish publishes, a notice says whether it ends the session', () => {
    expect(askedBy(EVENTS, 'call', 'play')).toEqual({});
    expect(askedBy(EVENTS, 'call', 'publish')).toEqual({ publishing: true });
    expect(askedBy(EVENTS, 'call', 'stop')).toEqual({ notice: { event: 'stop', endsSession: true } });
    expect(askedBy(EVENTS, 'call', 'ping')).toEqual({ notice: { event: 'ping', endsSession: false } });
    expect(problemOf(() => askedBy(EVENTS, 'call', undefined))).toEqual({ status: 400, message: '"call" is missing' });
    // A name Object.prototype has is no event either.
    expect(problemOf(() => askedBy(EVENTS, 'call', 'toString'))).toEqual({
      status: 400,
      message: 'unknown call "toString"',
    });
  });

  it('rtmpViewer: the stream is the channel, /app/stream the path, rtmp the protocol; the address is checked, named by its field', () => {
    const hook = {
      dialect: 'srs' as const,
      caller: '10.0.0.5',
      ip: ['203.0.113.7', 'addr'] as const,
      app: 'live',
      stream: 'a001',
      session: '9',
      pageUrl: 'http://page/',
      query: 'token=t1',
      event: 'play',
      eventField: 'call',
      events: EVENTS,
    };
    expect(rtmpViewer(hook, LIMITS)).toEqual({
      dialect: 'srs',
      caller: '10.0.0.5',
      ip: '203.0.113.7',
      channel: 'a001',
      channelId: 'a001',
      path: '/live/a001',
      session: '9',
      proto: 'rtmp',
      referer: 'http://page/',
      rawQuery: 'token=t1',
      token: 't1',
    });
    expect(problemOf(() => rtmpViewer({ ...hook, ip: ['0.0.0.0', 'addr'] }, LIMITS))?.message).toMatch(/^addr /);
    // The address is read before the event: a forged address is what the answer names.
    expect(problemOf(() => rtmpViewer({ ...hook, ip: ['not-an-ip', 'addr'], event: 'x' }, LIMITS))?.status).toBe(403);
  });

  it('hookCaller and jsonHookCaller: POST on /<name>, the common answer headers, the JSON body read as fields', () => {
    const caller = jsonHookCaller({
      name: 'srs',
      read: (field, from) => ({ dialect: 'srs', caller: from, rawQuery: '', session: field.text('id') }),
      answerText: { allow: '0', deny: '1' },
    });
    expect(caller).toMatchObject({ name: 'srs', prefix: '/srs', methods: ['POST'], body: 'json' });
    expect(caller.read(post, '10.0.0.5', LIMITS, json({ id: 's1' }))).toEqual({
      dialect: 'srs',
      caller: '10.0.0.5',
      rawQuery: '',
      session: 's1',
    });
    expect(problemOf(() => caller.read(post, undefined, LIMITS, form('id=s1')))?.status).toBe(400);
    expect(caller.answerHeaders(allow)).toEqual({ 'X-Session-Name': 'alice' });
    const plain = hookCaller({
      name: 'nginx-rtmp',
      body: 'form',
      read: () => ({ dialect: 'nginx-rtmp', rawQuery: '' }),
      answerText: PLAIN_TEXT,
    });
    expect(plain).toMatchObject({ prefix: '/nginx-rtmp', methods: ['POST'], body: 'form', answerText: PLAIN_TEXT });
    expect(plain.answerHeaders(deny)).toEqual({ 'X-Location': 'http://promo/' });
  });
});
