import { describe, expect, it } from 'vitest';
import { cesboCaller } from '../../src/protocols/cesbo.js';
import { isRawNginxSubrequest } from '../../src/protocols/nginxAuthRequest.js';
import { RequestProblem } from '../../src/requestProblem.js';
import { incoming, LIMITS } from './support.js';

describe('nginx auth_request on /auth', () => {
  it("X-Original-URI is the viewer's path and query; the subrequest's own query is not read", () => {
    const viewer = cesboCaller.read(
      incoming('/auth?token=ignored', {
        'x-original-uri': '/hls/sport/index.m3u8?token=t1&auth=anna:pw',
        'x-real-ip': '203.0.113.7',
        'x-session-id': 's1',
        'user-agent': 'VLC',
      }),
      '127.0.0.1',
      LIMITS,
    );
    expect(viewer).toEqual({
      dialect: 'nginx-auth-request',
      caller: '127.0.0.1',
      ip: '203.0.113.7',
      channel: 'sport',
      channelId: undefined,
      path: '/hls/sport/index.m3u8',
      session: 's1',
      userAgent: 'VLC',
      rawQuery: 'token=t1&auth=anna:pw',
      token: 't1',
      auth: 'anna:pw',
      credentials: { login: 'anna', password: 'pw' },
    });
  });

  it('a path without a query, and a query over limits.maxQueryBytes', () => {
    expect(cesboCaller.read(incoming('/auth', { 'x-original-uri': '/live/a001' }), undefined, LIMITS)).toMatchObject({
      path: '/live/a001',
      channel: 'a001',
      rawQuery: '',
    });
    const long = () =>
      cesboCaller.read(incoming('/auth', { 'x-original-uri': `/a?token=${'x'.repeat(9000)}` }), undefined, LIMITS);
    expect(long).toThrow(RequestProblem);
    expect(long).toThrow('query string longer than 8192 bytes');
  });
});

describe('isRawNginxSubrequest', () => {
  it('finds X-Original-URI among the header lines of a head Node refused, in any case; nothing else counts', () => {
    const head = (lines: string) => Buffer.from(`GET /auth HTTP/1.1\r\n${lines}\r\n`, 'latin1');
    expect(isRawNginxSubrequest(head('Host: a\r\nx-original-uri: /hls/a\r\nUser-Agent: VLC\x01\r\n'))).toBe(true);
    expect(isRawNginxSubrequest(head('X-ORIGINAL-URI: /hls/a\r\n'))).toBe(true);
    expect(isRawNginxSubrequest(head('User-Agent: VLC X-Original-URI: /x\x01\r\n'))).toBe(false);
    expect(isRawNginxSubrequest(head('Host: a\r\n'))).toBe(false);
    expect(isRawNginxSubrequest(undefined)).toBe(false);
    expect(isRawNginxSubrequest('\nx-original-uri: /a')).toBe(false);
  });
});
