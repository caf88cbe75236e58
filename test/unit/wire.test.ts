import { describe, expect, it } from 'vitest';
import { cesboStyle, flussonicStyle } from '../../src/adapters/wire.js';
import type { ViewerRequest } from '../../src/viewer.js';

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
    const { url, headers } = cesboStyle('http://mw.local/auth/check', astraViewer);
    expect(url.toString()).toBe('http://mw.local/auth/check?token=abc%2Bdef&lang=en');
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
    expect(cesboStyle('http://mw/check?site=1', astraViewer).url.search).toBe('?site=1&token=abc%2Bdef&lang=en');
    expect(cesboStyle('http://mw/check?site=1', { ...astraViewer, rawQuery: '' }).url.search).toBe('?site=1');
  });

  it('cleans header values that came from query parameters', () => {
    const { headers } = cesboStyle('http://mw/check', { ...astraViewer, userAgent: 'evil\r\nX-Injected: 1' });
    expect(headers['x-real-ua']).toBe('evilX-Injected: 1');
  });
});

describe('Flussonic style', () => {
  it('sends the viewer as query parameters, proto from the path', () => {
    const { url, headers } = flussonicStyle('http://mw/auth', astraViewer);
    expect([...url.searchParams]).toEqual([
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
    const { url } = flussonicStyle('http://mw/auth', {
      dialect: 'flussonic',
      channel: 'sport',
      proto: 'dash',
      requestType: 'update_session',
      requestNumber: '3',
      referer: 'http://site/',
      rawQuery: '',
    });
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
});
