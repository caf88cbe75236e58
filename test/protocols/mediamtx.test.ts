import { describe, expect, it } from 'vitest';
import { mediamtxCaller } from '../../src/protocols/mediamtx.js';
import { hookAllow, hookDeny, hookPost, jsonBody, LIMITS } from './support.js';

describe('MediaMTX', () => {
  const read = (document: Record<string, unknown>) =>
    mediamtxCaller.read(hookPost, '10.0.0.5', LIMITS, jsonBody(document));

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
      userAgent: undefined,
      rawQuery: 'token=t1&lang=en',
      token: 't1',
      auth: 'anna:p:w',
      credentials: { login: 'anna', password: 'p:w' },
    });
  });

  it('reads a password MediaMTX also sends as token (1.12.3 on) as the password, with no token', () => {
    const viewer = read({
      user: 'alice',
      password: 'secretA',
      token: 'secretA',
      ip: '203.0.113.7',
      action: 'read',
      path: 'live/a001',
      query: '',
    });
    expect(viewer).toMatchObject({
      token: undefined,
      rawQuery: '',
      credentials: { login: 'alice', password: 'secretA' },
    });
    // The viewer's own token in the query is the token; it may differ from the password.
    expect(
      read({ user: 'alice', password: 'pw', token: 'pw', action: 'read', path: 'a001', query: 'token=T' }),
    ).toMatchObject({ token: 'T', rawQuery: 'token=T', credentials: { login: 'alice', password: 'pw' } });
    // Without a user, what comes in the password field is a token (a JWT), as MediaMTX means it.
    expect(read({ password: 'jwt-1', token: 'jwt-1', action: 'read', path: 'a001' })).toMatchObject({
      token: 'jwt-1',
      rawQuery: 'token=jwt-1',
    });
    // A token that is not the password is the viewer's token, as before.
    expect(read({ user: 'alice', password: 'pw', token: 'tok', action: 'read', path: 'a001' })).toMatchObject({
      token: 'tok',
    });
  });

  it("reads the viewer's user agent (MediaMTX sends userAgent)", () => {
    expect(read({ action: 'read', path: 'a001', userAgent: 'VLC/3.0.20' }).userAgent).toBe('VLC/3.0.20');
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
    expect(mediamtxCaller.answerHeaders(hookAllow)).toEqual({ 'X-Session-Name': 'alice' });
    expect(mediamtxCaller.answerHeaders(hookDeny)).toEqual({ 'X-Location': 'http://promo/' });
  });
});
