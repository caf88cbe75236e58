import { describe, expect, it } from 'vitest';
import { endpointUnder } from '../../src/adapters/endpoint.js';

describe('endpointUnder', () => {
  it("puts the middleware's endpoint under the base's path, with or without a trailing slash", () => {
    expect(endpointUnder('http://mw.example/portal', '/api/check')).toBe('http://mw.example/portal/api/check');
    expect(endpointUnder('http://mw.example/portal///', '/api/check')).toBe('http://mw.example/portal/api/check');
    expect(endpointUnder('http://mw.example', '/api/check')).toBe('http://mw.example/api/check');
  });

  it('keeps the query and the credentials of the base', () => {
    expect(endpointUnder('https://u:p@mw.example:8443/p?key=1', '/check')).toBe(
      'https://u:p@mw.example:8443/p/check?key=1',
    );
  });

  it('reads a base that already ends in a known endpoint (pasted from a manual) as the base without it', () => {
    expect(endpointUnder('http://mw.example/p/api/check', '/api/check')).toBe('http://mw.example/p/api/check');
    const known = ['/auth/v1', '/auth/v2/'];
    expect(endpointUnder('http://mw.example/p/auth/v1/', '/auth/v2', known)).toBe('http://mw.example/p/auth/v2');
    expect(endpointUnder('http://mw.example/p/auth/v2', '/auth/v1', known)).toBe('http://mw.example/p/auth/v1');
    // A path that only looks like one in part is a prefix like any other.
    expect(endpointUnder('http://mw.example/my-check', '/check')).toBe('http://mw.example/my-check/check');
  });
});
