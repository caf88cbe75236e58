import { describe, expect, it } from 'vitest';
import { cesboCaller } from '../../src/protocols/cesbo.js';
import { viewerIp, viewerPath } from '../../src/protocols/read.js';
import { RequestProblem } from '../../src/requestProblem.js';
import { incoming, LIMITS } from './support.js';

describe('viewerPath', () => {
  it('keeps every path a player sends, encoded characters included', () => {
    for (const path of [
      '/hls/a001/index.m3u8',
      '/play/a001/index.m3u8?token=t&next=../x',
      '/tv/travel%20channel/index.m3u8',
      '/hls/a001/.hidden/seg.ts',
      '/hls/a001/v1...m3u8',
      '/hls/a001/%2525/index.m3u8',
      undefined,
    ]) {
      expect(viewerPath(path, 'X-Real-Path')).toBe(path);
    }
  });

  it('refuses with 403 a dot segment or an encoded slash, backslash, ?, # or NUL, encoded or not, in any case', () => {
    for (const path of [
      '/hls/b002/a001/..%2Findex.m3u8',
      '/hls/b002/a001/%2E%2E%2Findex.m3u8',
      '/hls/b002/a001/%2e%2e/index.m3u8',
      '/hls/b002/a001/.%2e/index.m3u8',
      '/hls/b002/a001/../index.m3u8',
      '/hls/./a001/index.m3u8',
      '/hls/a001/..',
      '../a001',
      '/hls/b002%5ca001/index.m3u8',
      '/hls/a001%00/index.m3u8',
      '/hls/b002/index.m3u8%3F/a001/index.m3u8',
      '/hls/b002/index.m3u8%23/a001/index.m3u8',
      '/hls/b002/index.m3u8%3f/a001/index.m3u8',
    ]) {
      const read = () => viewerPath(path, 'X-Real-Path');
      expect(read, path).toThrow(RequestProblem);
      expect(read, path).toThrow('X-Real-Path has a dot segment or an encoded slash');
      try {
        read();
      } catch (problem) {
        expect((problem as RequestProblem).status).toBe(403);
      }
    }
  });
});

describe('the callers read the path through viewerPath', () => {
  it("Cesbo's X-Real-Path and nginx's X-Original-URI", () => {
    const cesbo = () =>
      cesboCaller.read(
        incoming('/auth?token=t', { 'x-real-path': '/play/b002/a001/..%2Findex.m3u8' }),
        undefined,
        LIMITS,
      );
    expect(cesbo).toThrow('X-Real-Path has a dot segment');
    const nginx = () =>
      cesboCaller.read(
        incoming('/auth', { 'x-original-uri': '/hls/b002/a001/..%2Findex.m3u8?token=t' }),
        undefined,
        LIMITS,
      );
    expect(nginx).toThrow('X-Original-URI has a dot segment');
  });
});

describe('viewerIp', () => {
  it('writes an address canonically: mapped IPv4 folded, the IPv4-compatible ::a.b.c.d kept as IPv6', () => {
    expect(viewerIp('::ffff:203.0.113.7', 'X-Real-IP')).toBe('203.0.113.7');
    expect(viewerIp('::127.0.0.1', 'X-Real-IP')).toBe('::7f00:1');
    expect(viewerIp('2001:DB8:0::1', 'X-Real-IP')).toBe('2001:db8::1');
  });
  it('refuses what is no address (403) and an address no viewer has (400)', () => {
    expect(() => viewerIp('10.0.0', 'X-Real-IP')).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => viewerIp('0.0.0.0', 'X-Real-IP')).toThrow(expect.objectContaining({ status: 400 }));
  });
});
