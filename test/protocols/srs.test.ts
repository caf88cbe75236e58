import { describe, expect, it } from 'vitest';
import { srsCaller } from '../../src/protocols/srs.js';
import { hookPost, jsonBody, LIMITS, problemOf } from './support.js';

describe('SRS', () => {
  const read = (document: Record<string, unknown>) => srsCaller.read(hookPost, undefined, LIMITS, jsonBody(document));

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
