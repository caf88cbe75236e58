import { describe, expect, it } from 'vitest';
import { cesboStyle, flussonicStyle } from '../../src/adapters/wire.js';
import type { ViewerRequest } from '../../src/viewer.js';

const urlOf = ({ origin, path }: { origin: string; path: string }) => new URL(path, origin);

const astraViewer: ViewerRequest = {
  dialect: 'cesbo',
  ip: '203.0.113.7',
  channel: 'a001',
  path: '/play/a001/index.m3u8',
  session: '12345',
  userAgent: 'VLC/3.0',
  host: 'tv.example.com',
  rawQuery: 'token=abc%2Bdef&lang=en',
  token: 'abc+def',
};

describe('Cesbo style', () => {
  it('puts the raw viewer query on the URL and the viewer in X-* headers', () => {
    const { origin, path, headers } = cesboStyle(new URL('http://mw.local/auth/check'), astraViewer);
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
    expect(cesboStyle(new URL('http://mw/check?site=1'), astraViewer).path).toBe('/check?site=1&token=abc%2Bdef&lang=en');
    expect(cesboStyle(new URL('http://mw/check?site=1'), { ...astraViewer, rawQuery: '' }).path).toBe('/check?site=1');
  });

  it('keeps the raw query byte for byte, encoding only what a request line cannot carry', () => {
    expect(cesboStyle(new URL('http://mw/check'), { ...astraViewer, rawQuery: `token=a'b"<c>&x=%7e+1` }).path).toBe(`/check?token=a'b"<c>&x=%7e+1`);
    expect(cesboStyle(new URL('http://mw/check'), { ...astraViewer, rawQuery: 'token=a b#c&ch=первый' }).path).toBe(
      '/check?token=a%20b%23c&ch=%D0%BF%D0%B5%D1%80%D0%B2%D1%8B%D0%B9',
    );
  });

  it('writes non-ASCII text as UTF-8 bytes', () => {
    const { headers } = cesboStyle(new URL('http://mw/check'), { ...astraViewer, channel: 'первый', userAgent: 'Плеер' });
    expect(Buffer.from(headers['x-channel-id']!, 'latin1').toString('utf8')).toBe('первый');
    expect(Buffer.from(headers['x-real-ua']!, 'latin1').toString('utf8')).toBe('Плеер');
  });

  it('cleans header values that came from query parameters', () => {
    const { headers } = cesboStyle(new URL('http://mw/check'), { ...astraViewer, userAgent: 'evil\r\nX-Injected: 1' });
    expect(headers['x-real-ua']).toBe('evilX-Injected: 1');
  });
});

describe('Flussonic style', () => {
  it('sends the viewer as query parameters, proto from the path', () => {
    const outbound = flussonicStyle(new URL('http://mw/auth'), astraViewer);
    const { headers } = outbound;
    expect([...urlOf(outbound).searchParams]).toEqual([
      ['name', 'a001'],
      ['ip', '203.0.113.7'],
      ['token', 'abc+def'],
      ['proto', 'hls'],
      ['session_id', '12345'],
      ['request_type', ''],
      ['request_number', ''],
      ['user_agent', 'VLC/3.0'],
      ['host', 'tv.example.com'],
      ['qs', 'token=abc%2Bdef&lang=en'],
    ]);
    expect(headers).toEqual({});
  });

  it('passes a Flussonic caller\'s own proto and request details through', () => {
    const url = urlOf(flussonicStyle(new URL('http://mw/auth'), {
      dialect: 'flussonic',
      channel: 'sport',
      proto: 'dash',
      requestType: 'update_session',
      requestNumber: '3',
      referer: 'http://site/',
      rawQuery: '',
    }));
    expect(Object.fromEntries(url.searchParams)).toEqual({
      name: 'sport',
      ip: '',
      token: '',
      proto: 'dash',
      session_id: '',
      request_type: 'update_session',
      request_number: '3',
      user_agent: '',
      host: '',
      qs: '',
      referer: 'http://site/',
    });
  });

  it('encodes non-ASCII parameters as UTF-8 and takes the host from an Alta origin', () => {
    const url = urlOf(flussonicStyle(new URL('http://mw/auth'), { dialect: 'cesbo', channel: 'первый', origin: 'https://tv.example.com:8443', rawQuery: '' }));
    expect(url.searchParams.get('name')).toBe('первый');
    expect(url.search).toContain('name=%D0%BF%D0%B5%D1%80%D0%B2%D1%8B%D0%B9');
    expect(url.searchParams.get('host')).toBe('tv.example.com:8443');
  });
});
