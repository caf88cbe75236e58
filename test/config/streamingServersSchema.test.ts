import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';

describe('streamingServers config', () => {
  it('defaults callers to the address of url and poll to 10 seconds', () => {
    expect(
      validateConfig(
        { streamingServers: { edge1: { type: 'astra', url: 'http://127.0.0.1:8000', login: 'admin', password: 'x' } } },
        'test config',
        {},
      ).streamingServers.edge1,
    ).toMatchObject({ type: 'astra', callers: ['127.0.0.1'], poll: 10, timeoutMs: 3000 });
  });

  it('names the key of every mistake', () => {
    const attempt = (server: Record<string, unknown>) => () =>
      validateConfig({ streamingServers: { edge1: server } }, 'test config', {});
    expect(attempt({ type: 'astra', url: 'http://edge1:8000', login: 'a', password: 'b' })).toThrow(
      /streamingServers\.edge1\.callers: required when url names a host \(edge1\)/,
    );
    expect(attempt({ type: 'flussonic', url: 'http://127.0.0.1:80', login: 'a', password: 'b' })).toThrow(
      /streamingServers\.edge1\.type/,
    );
    expect(attempt({ type: 'astra', url: 'edge1:8000', login: 'a', password: 'b' })).toThrow(
      /streamingServers\.edge1\.url: expected an http/,
    );
    expect(
      attempt({ type: 'astra', url: 'http://127.0.0.1', login: 'a', password: 'b', poll: 0, callers: ['nope'] }),
    ).toThrow(/streamingServers\.edge1\.poll[\s\S]*streamingServers\.edge1\.callers\[0\]/);
    expect(attempt({ type: 'astra', url: 'http://127.0.0.1' })).toThrow(
      /streamingServers\.edge1\.login: required[\s\S]*streamingServers\.edge1\.password: required/,
    );
  });
});
