import { describe, expect, it } from 'vitest';
import { parseListen } from '../../src/commands/replay.js';

describe('parseListen (replay --listen)', () => {
  it("takes the config's listen syntax: host:port, [v6]:port, or a port alone on loopback", () => {
    expect(parseListen('127.0.0.1:9090')).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(parseListen('[::1]:9090')).toEqual({ host: '::1', port: 9090 });
    expect(parseListen('9090')).toMatchObject({ port: 9090 });
  });

  it('is undefined for what is no address', () => {
    for (const text of ['somewhere', '127.0.0.1:99999', 'example.com:80', ''])
      expect(parseListen(text), text).toBeUndefined();
  });
});
