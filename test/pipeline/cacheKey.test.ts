import { describe, expect, it } from 'vitest';
import type { BackendConfig } from '../../src/config/schema.js';
import { bindingKey, canonicalQuery, decisionKeyOf, defaultKeyParts } from '../../src/pipeline/cacheKey.js';
import type { ViewerRequest } from '../../src/viewer.js';

const viewer = (parts: Partial<ViewerRequest>): ViewerRequest => ({ dialect: 'cesbo', rawQuery: '', ...parts });
const defaultKey = decisionKeyOf(['token', 'credentials', 'ip', 'channel']);

describe('cache keys', () => {
  it('hold no token or password in clear', () => {
    const key = defaultKey(
      'default',
      viewer({
        token: 'secret-token-123',
        auth: 'alice:pa55word',
        credentials: { login: 'alice', password: 'pa55word' },
        ip: '203.0.113.1',
      }),
    );
    expect(key).not.toContain('secret-token-123');
    expect(key).not.toContain('pa55word');
    expect(bindingKey('secret-token-123')).not.toContain('secret-token-123');
    expect(new Set(['\ud800', '\udc00', '\ufffd', '\ufffd\ufffd'].map(bindingKey)).size).toBe(4);
    expect(key).toMatch(/^d:default:[A-Za-z0-9_-]{22}$/);
  });

  it('are the same for the same parts, whatever else differs', () => {
    const a = defaultKey(
      'default',
      viewer({ token: 't', ip: '203.0.113.1', channel: 'a001', session: '1', userAgent: 'x' }),
    );
    const b = defaultKey(
      'default',
      viewer({ token: 't', ip: '203.0.113.1', channel: 'a001', session: '2', userAgent: 'y' }),
    );
    expect(a).toBe(b);
  });

  it('differ by route and by each part, and a value cannot pose as another part', () => {
    const keys = [
      defaultKey('default', viewer({ token: 't', ip: '203.0.113.1' })),
      defaultKey('other', viewer({ token: 't', ip: '203.0.113.1' })),
      defaultKey('default', viewer({ token: 't', ip: '203.0.113.2' })),
      defaultKey('default', viewer({ token: 't', ip: '203.0.113.1', channel: 'a001' })),
      defaultKey('default', viewer({ token: '', ip: '203.0.113.1' })),
      defaultKey('default', viewer({ ip: 't' })),
      defaultKey('default', viewer({ token: 't","203.0.113.1' })),
      defaultKey('default', viewer({ token: '1:t-', ip: '203.0.113.1' })),
      defaultKey('default', viewer({ token: '1:t', channel: '203.0.113.1' })),
      // Lone surrogates, which UTF-8 would turn into U+FFFD, stay apart from it and from each other.
      defaultKey('default', viewer({ token: 't', ip: '\ud800' })),
      defaultKey('default', viewer({ token: 't', ip: '\udbff' })),
      defaultKey('default', viewer({ token: 't', ip: '\ufffd' })),
      defaultKey('default', viewer({ auth: 't:', credentials: { login: 't', password: '' }, ip: '203.0.113.1' })),
      // An auth= that is not login:password still reaches a middleware, so it still tells viewers apart.
      defaultKey('default', viewer({ auth: 'opaque', ip: '203.0.113.1' })),
      defaultKey('default', viewer({ auth: ':x', ip: '203.0.113.1' })),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('take only the configured parts', () => {
    const byToken = decisionKeyOf(['token']);
    expect(byToken('default', viewer({ token: 't', ip: '203.0.113.1' }))).toBe(
      byToken('default', viewer({ token: 't', ip: '198.51.100.1' })),
    );
  });
});

describe('key parts beyond the token', () => {
  const key = (part: Parameters<typeof decisionKeyOf>[0][number], parts: Partial<ViewerRequest>) =>
    decisionKeyOf([part])('default', viewer(parts));

  it('archive: live paths of a channel share a key, each archive request has its own', () => {
    const live = ['/a001/index.m3u8', '/a001/seg-1.ts', '/a001/2023/11/14/22/13/20-06000.ts', undefined];
    expect(new Set(live.map((path) => key('archive', { path }))).size).toBe(1);
    const apart = [
      '/a001/index.m3u8',
      '/a001/index-1700000000-3600.m3u8',
      '/a001/index-1700000000-7200.m3u8',
      '/a001/mono-1700000000-3600.m3u8',
      '/a001/archive-1700000000-3600.ts',
      '/a001/timeshift_rel/3600',
    ];
    expect(new Set(apart.map((path) => key('archive', { path }))).size).toBe(apart.length);
  });

  it('channel: an id the caller sent is apart from the same name taken from the path', () => {
    expect(key('channel', { channel: 'a001', channelId: 'a001' })).not.toBe(key('channel', { channel: 'a001' }));
    expect(key('channel', { channel: 'pa001' })).not.toBe(key('channel', { channel: 'a001', channelId: 'a001' }));
    expect(key('channel', {})).not.toBe(key('channel', { channel: '' }));
  });

  it('channel: a channel taken from the path is keyed with the folders leading to it, not the file name', () => {
    const sameChannel = [
      '/hls/a001/index.m3u8',
      '/hls/a001/seg-1.ts',
      '/hls/a001/seg-2.ts?token=t',
      '/hls/a001/tracks-v1a1/index.m3u8',
      '/hls/a001/2026/12/01/10/00/00-05000.ts',
      '/hls/a001/2026/12/01/10/01/00-05000.ts',
    ];
    expect(new Set(sameChannel.map((path) => key('channel', { channel: 'a001', path }))).size).toBe(1);
    // Two nginx-rtmp applications, two MediaMTX prefixes: /live/a001 and /premium/a001 never share an answer.
    const apart = ['/live/a001', '/premium/a001', '/hls/a001/index.m3u8', '/a001/index.m3u8'];
    expect(new Set(apart.map((path) => key('channel', { channel: 'a001', path }))).size).toBe(apart.length);
    expect(key('channel', { channel: 'a001', path: '/live/a001' })).not.toBe(key('channel', { channel: 'a001' }));
    // An id the caller sent too (nginx-rtmp sends the stream name as X-Channel-ID).
    const rtmp = (path: string) => key('channel', { channel: 'a001', channelId: 'a001', path });
    expect(rtmp('/live/a001')).not.toBe(rtmp('/premium/a001'));
    expect(rtmp('/play/a001/index.m3u8')).toBe(rtmp('/play/a001/seg-7.ts'));
  });

  it("params: a Flussonic caller's own parameters, names in any order, but its per-request counters", () => {
    const params = (entries: [string, string[]][]) => key('params', { callerParams: new Map(entries) });
    const first = params([
      ['name', ['a001']],
      ['media_request', ['dvr_session-hls_playlist-1-2']],
      ['request_number', ['1']],
      ['request_type', ['new_session']],
    ]);
    const later = params([
      ['media_request', ['dvr_session-hls_playlist-1-2']],
      ['name', ['a001']],
      ['request_number', ['7']],
      ['request_type', ['update_session']],
      ['stream_clients', ['3']],
      ['total_clients', ['9']],
      ['duration', ['60']],
      ['bytes', ['1000']],
    ]);
    expect(later).toBe(first);
    const apart = [
      first,
      params([['name', ['a001']]]),
      params([
        ['name', ['a001']],
        ['dvr', ['true']],
      ]),
      params([['x', ['1', '2']]]),
      params([['x', ['2', '1']]]),
      key('params', {}),
    ];
    expect(new Set(apart).size).toBe(apart.length);
  });

  it('session, userAgent, host, origin, referer, proto: each tells checks apart', () => {
    for (const part of ['session', 'userAgent', 'host', 'origin', 'referer', 'proto'] as const) {
      const field = part;
      expect(key(part, { [field]: 'a' }), part).not.toBe(key(part, { [field]: 'b' }));
      expect(key(part, { [field]: 'a' }), part).not.toBe(key(part, {}));
    }
  });
});

describe('canonical query', () => {
  it("sorts parameters by name, keeps a repeated name's values in order, drops empty pieces, decodes nothing", () => {
    expect(canonicalQuery('')).toBe('');
    expect(canonicalQuery('b=2&a=1')).toBe('a=1&b=2');
    expect(canonicalQuery('a=2&b=1&a=1')).toBe('a=2&a=1&b=1');
    expect(canonicalQuery('&&b=2&&a&')).toBe('a&b=2');
    expect(canonicalQuery('x=%41&x=A')).toBe('x=%41&x=A');
    expect(canonicalQuery('k=a=b&k=c')).toBe('k=a=b&k=c');
    expect(canonicalQuery('token=t')).toBe('token=t');
    expect(canonicalQuery('a=1&b=2&b=1')).toBe('a=1&b=2&b=1');
    expect(canonicalQuery('a=1&b=2&')).toBe('a=1&b=2');
    expect(canonicalQuery('b&a=1')).toBe('a=1&b');
  });

  it('tells apart what a middleware could read apart', () => {
    const byQuery = decisionKeyOf(['query']);
    const key = (rawQuery: string) => byQuery('default', viewer({ rawQuery }));
    expect(key('a=1&b=2')).toBe(key('b=2&a=1'));
    const apart = ['key=allow', 'key=deny', '', 'a=1&a=2', 'a=2&a=1', 'a=%41', 'a=A', 'a=1&b', 'a=1b'];
    expect(new Set(apart.map(key)).size).toBe(apart.length);
  });
});

describe('default key parts', () => {
  const backend = (type: string, more: object = {}) =>
    ({ type, url: 'http://127.0.0.1/', ...more }) as unknown as BackendConfig;

  const CESBO_STYLE = ['query', 'ip', 'channel', 'archive', 'session', 'userAgent', 'host', 'origin'];
  const FLUSSONIC_STYLE = ['token', 'credentials', ...CESBO_STYLE, 'referer', 'proto', 'params'];

  it('hold what each kind of backend receives, but the path', () => {
    expect(defaultKeyParts([backend('http')])).toEqual(CESBO_STYLE);
    expect(defaultKeyParts([backend('iptvportal', { protocol: 'cesbo' })])).toEqual(CESBO_STYLE);
    for (const type of ['flussonic', 'ministra', 'smarty'])
      expect(defaultKeyParts([backend(type)])).toEqual(FLUSSONIC_STYLE);
    expect(defaultKeyParts([backend('iptvportal', { protocol: 'flussonic' })])).toEqual(FLUSSONIC_STYLE);
    expect(defaultKeyParts([backend('ministra')])).not.toContain('path');
  });

  it('hold the union for a route with both kinds, and the Flussonic-style parts for a route with none', () => {
    expect(new Set(defaultKeyParts([backend('ministra'), backend('http')]))).toEqual(new Set(FLUSSONIC_STYLE));
    expect(defaultKeyParts([])).toEqual(FLUSSONIC_STYLE);
  });
});
