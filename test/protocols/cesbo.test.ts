import { describe, expect, it } from 'vitest';
import { askCesbo, cesboCaller } from '../../src/protocols/cesbo.js';
import type { ViewerRequest } from '../../src/viewer.js';
import { astraViewer, incoming, LIMITS, received } from './support.js';
import { sketched } from '../support/decisions.js';

describe('asking a Cesbo-style backend as Astra asks', () => {
  it('puts the raw viewer query on the URL and the viewer in X-* headers', () => {
    const { origin, path, headers } = askCesbo(new URL('http://mw.local/auth/check'), astraViewer);
    expect(origin).toBe('http://mw.local');
    expect(path).toBe('/auth/check?token=abc%2Bdef&lang=en');
    expect(headers).toEqual({
      'x-session-id': '12345',
      'x-channel-id': 'a001',
      'x-real-ip': '203.0.113.7',
      'x-real-path': '/play/a001/index.m3u8',
      'x-real-ua': 'VLC/3.0',
      'x-real-host': 'tv.example.com',
    });
  });

  it('keeps a query the backend URL already has', () => {
    expect(askCesbo(new URL('http://mw/check?site=1'), astraViewer).path).toBe('/check?site=1&token=abc%2Bdef&lang=en');
    expect(askCesbo(new URL('http://mw/check?site=1'), { ...astraViewer, rawQuery: '' }).path).toBe('/check?site=1');
  });

  it('keeps the raw query byte for byte, encoding only what a request line cannot carry', () => {
    expect(askCesbo(new URL('http://mw/check'), { ...astraViewer, rawQuery: `token=a'b"<c>&x=%7e+1` }).path).toBe(
      `/check?token=a'b"<c>&x=%7e+1`,
    );
    expect(askCesbo(new URL('http://mw/check'), { ...astraViewer, rawQuery: 'token=a b#c&ch=первый' }).path).toBe(
      '/check?token=a%20b%23c&ch=%D0%BF%D0%B5%D1%80%D0%B2%D1%8B%D0%B9',
    );
  });

  it('writes non-ASCII text as UTF-8 bytes', () => {
    const { headers } = askCesbo(new URL('http://mw/check'), {
      ...astraViewer,
      channelId: 'первый',
      userAgent: 'Плеер',
    });
    expect(Buffer.from(headers['x-channel-id']!, 'latin1').toString('utf8')).toBe('первый');
    expect(Buffer.from(headers['x-real-ua']!, 'latin1').toString('utf8')).toBe('Плеер');
  });

  it('cleans header values that came from query parameters', () => {
    const { headers } = askCesbo(new URL('http://mw/check'), { ...astraViewer, userAgent: 'evil\r\nX-Injected: 1' });
    expect(headers['x-real-ua']).toBe('evilX-Injected: 1');
  });
});

describe('a Cesbo caller read back', () => {
  it('round trip: what the bridge sends as Astra is what it reads from Astra', () => {
    const viewer = cesboCaller.read(received(askCesbo(new URL('http://bridge/auth'), astraViewer)), '10.0.0.5', LIMITS);
    expect(viewer).toEqual({
      ...astraViewer,
      caller: '10.0.0.5',
      origin: undefined,
      auth: undefined,
      credentials: undefined,
    });
  });

  it('round trip with non-ASCII text, credentials and an Alta origin', () => {
    const alta: ViewerRequest = {
      dialect: 'cesbo',
      ip: '2001:db8::7',
      channel: 'первый',
      path: '/tv/первый/index.m3u8',
      session: '9',
      userAgent: 'Плеер/1.0',
      origin: 'http://live.example.com:8000',
      rawQuery: 'auth=anna:pa%3Ass',
      auth: 'anna:pa:ss',
      credentials: { login: 'anna', password: 'pa:ss' },
    };
    const viewer = cesboCaller.read(received(askCesbo(new URL('http://bridge/auth'), alta)), undefined, LIMITS);
    expect(viewer).toMatchObject({ ...alta, channelId: undefined });
  });

  it('Alta sends no X-Channel-ID: the channel comes from the path, and a backend is not told one', () => {
    const viewer = cesboCaller.read(
      incoming('/auth?token=t', { 'x-real-path': '/tv/travel-channel/index.m3u8' }),
      undefined,
      LIMITS,
    );
    expect(viewer.channel).toBe('travel-channel');
    expect(askCesbo(new URL('http://mw/check'), viewer).headers).not.toHaveProperty('x-channel-id');
  });

  it('answers 200 allow / 403 deny with the common headers only', () => {
    const allow = sketched({
      allow: true,
      decidedBy: 'backend:mw',
      ttlSeconds: 60,
      sessionName: 'alice',
      userId: '42',
      maxSessions: 2,
    });
    expect(cesboCaller.answerHeaders(allow)).toEqual({ 'X-Session-Name': 'alice' });
    expect(
      cesboCaller.answerHeaders(
        sketched({ allow: false, decidedBy: 'default', ttlSeconds: 30, redirect: 'http://promo/' }),
      ),
    ).toEqual({ 'X-Location': 'http://promo/' });
    expect(cesboCaller.answerText).toEqual({ allow: 'allow\n', deny: 'deny\n' });
  });
});
