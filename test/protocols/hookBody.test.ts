import { describe, expect, it } from 'vitest';
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
import { PLAIN_TEXT } from '../../src/protocols/types.js';
import { formBody, hookAllow, hookDeny, hookPost, jsonBody, LIMITS, problemOf } from './support.js';

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
    expect(caller.read(hookPost, '10.0.0.5', LIMITS, jsonBody({ id: 's1' }))).toEqual({
      dialect: 'srs',
      caller: '10.0.0.5',
      rawQuery: '',
      session: 's1',
    });
    expect(problemOf(() => caller.read(hookPost, undefined, LIMITS, formBody('id=s1')))?.status).toBe(400);
    expect(caller.answerHeaders(hookAllow)).toEqual({ 'X-Session-Name': 'alice' });
    const plain = hookCaller({
      name: 'nginx-rtmp',
      body: 'form',
      read: () => ({ dialect: 'nginx-rtmp', rawQuery: '' }),
      answerText: PLAIN_TEXT,
    });
    expect(plain).toMatchObject({ prefix: '/nginx-rtmp', methods: ['POST'], body: 'form', answerText: PLAIN_TEXT });
    expect(plain.answerHeaders(hookDeny)).toEqual({ 'X-Location': 'http://promo/' });
  });
});
