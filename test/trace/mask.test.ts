import { describe, expect, it } from 'vitest';
import { headersRead, maskedRequest, maskedViewer, maskQuery, scrubberFor } from '../../src/trace/mask.js';
import type { ViewerRequest } from '../../src/viewer.js';

const viewer: ViewerRequest = {
  dialect: 'cesbo',
  rawQuery: 'token=t0k3n-value&auth=ann:pa55&channel=a001',
  token: 't0k3n-value',
  auth: 'ann:pa55',
  credentials: { login: 'ann', password: 'pa55' },
  ip: '203.0.113.7',
};
const scrub = scrubberFor(viewer, ['env-s3cret']);

describe('trace masking', () => {
  it('masks secret-named parameters and the inside of qs, keeping the rest as sent', () => {
    expect(maskQuery('name=a001&token=t0k3n-value&sig=abc&api_key=k&qs=token%3Dt0k3n-value%26x%3D1&x=2', scrub)).toBe(
      'name=a001&token=***&sig=***&api_key=***&qs=token%3D***%26x%3D1&x=2',
    );
    expect(maskQuery('flag&=empty&auth=', scrub)).toBe('flag&=empty&auth=***');
  });

  it('scrubs the viewer’s secrets and secret environment values wherever they show, URL-encoded too', () => {
    expect(scrub('/path/t0k3n-value/x?y=env-s3cret')).toBe('/path/***/x?y=***');
    expect(scrub(`redirect=${encodeURIComponent('ann:pa55')}`)).toBe('redirect=***');
  });

  it('does not look for secrets too short to tell from other text, but still masks them by name', () => {
    const short = scrubberFor({ dialect: 'cesbo', rawQuery: 'token=ab', token: 'ab' }, []);
    expect(short('about')).toBe('about');
    expect(maskQuery('token=ab', short)).toBe('token=***');
  });

  it('masks signed-link and session parameters by name, keeping their times', () => {
    expect(
      maskQuery('md5=PMD5-SECRET&expires=1767225600&jwt=a.b.c&hdnts=exp%3D1~hmac%3Dff&pin=12&sid=S1D&st=x&e=9', scrub),
    ).toBe('md5=***&expires=1767225600&jwt=***&hdnts=***&pin=***&sid=***&st=***&e=9');
  });

  it('masks secrets inside URL values: a referer’s query, a path’s query, a URL’s user info, a page URL’s fragment', () => {
    expect(maskQuery(`name=a001&referer=${encodeURIComponent('http://portal/?token=REFTOK&ch=1')}`, scrub)).toBe(
      `name=a001&referer=${encodeURIComponent('http://portal/?token=***&ch=1')}`,
    );
    const request = maskedRequest(
      {
        origin: 'http://127.0.0.1:9000',
        path: '/check',
        headers: {
          'x-real-path': '/play/a001/index.m3u8?token=PATHTOK',
          'x-real-origin': 'http://u:PW@live.example',
          'x-original-uri': '/hls/a001.m3u8?md5=M&expires=9',
          'x-page': 'http://portal/watch#access_token=FRAGTOK&x=1',
        },
      },
      scrub,
    );
    expect(request.headers).toEqual({
      'x-real-path': '/play/a001/index.m3u8?token=***',
      'x-real-origin': 'http://***@live.example',
      'x-original-uri': '/hls/a001.m3u8?md5=***&expires=9',
      'x-page': 'http://portal/watch#access_token=***&x=1',
    });
  });

  it('the viewer’s path, origin and referer shown with their named secrets masked', () => {
    const shown = maskedViewer(
      {
        dialect: 'cesbo',
        rawQuery: 'md5=PMD5-SECRET&expires=9',
        path: '/play/a001/index.m3u8?token=PATHTOK',
        origin: 'http://u:PW@live.example',
        referer: 'http://portal/?token=REFTOK',
      },
      scrub,
    );
    expect(shown).toEqual({
      path: '/play/a001/index.m3u8?token=***',
      origin: 'http://***@live.example',
      referer: 'http://portal/?token=***',
      query: 'md5=***&expires=9',
    });
  });

  it('a request: credential headers masked, query masked, method defaulting to GET', () => {
    const request = maskedRequest(
      {
        origin: 'http://127.0.0.1:9000',
        path: '/env-s3cret/check?token=t0k3n-value&site=5',
        headers: {
          authorization: 'Basic YWJjOmRlZg==',
          cookie: 'sid=1',
          'x-api-key': 'k',
          'x-real-ua': 'ua t0k3n-value',
        },
      },
      scrub,
    );
    expect(request).toEqual({
      method: 'GET',
      url: 'http://127.0.0.1:9000/***/check?token=***&site=5',
      headers: { authorization: '***', cookie: '***', 'x-api-key': '***', 'x-real-ua': 'ua ***' },
    });
  });

  it('a request header sent as UTF-8 bytes is shown as its text, not one character per byte', () => {
    const sent = Buffer.from('канал t0k3n-value', 'utf8').toString('latin1');
    const request = maskedRequest(
      { origin: 'http://127.0.0.1:9000', path: '/check', headers: { 'x-channel-id': sent } },
      scrub,
    );
    expect(request.headers).toEqual({ 'x-channel-id': 'канал ***' });
  });

  it('an answer: only the headers the bridge reads, scrubbed', () => {
    const read = headersRead(
      {
        status: 302,
        headers: { location: 'http://promo/?token=t0k3n-value', 'x-userid': '7', 'set-cookie': 'a=b', date: 'now' },
        body: Buffer.alloc(0),
      },
      scrub,
    );
    expect(read).toEqual({ 'x-userid': '7', location: 'http://promo/?token=***' });
  });

  it('the viewer: login shown, token and password masked', () => {
    expect(maskedViewer(viewer, scrub)).toEqual({
      ip: '203.0.113.7',
      token: '***',
      login: 'ann',
      password: '***',
      query: 'token=***&auth=***&channel=a001',
    });
  });
});
