import { describe, expect, it } from 'vitest';
import { bindingKey, decisionKeyOf } from '../../src/pipeline/cacheKey.js';
import type { ViewerRequest } from '../../src/viewer.js';

const viewer = (parts: Partial<ViewerRequest>): ViewerRequest => ({ dialect: 'cesbo', rawQuery: '', ...parts });
const defaultKey = decisionKeyOf(['token', 'credentials', 'ip', 'channel']);

describe('cache keys', () => {
  it('hold no token or password in clear', () => {
    const key = defaultKey('default', viewer({ token: 'secret-token-123', auth: 'alice:pa55word', credentials: { login: 'alice', password: 'pa55word' }, ip: '203.0.113.1' }));
    expect(key).not.toContain('secret-token-123');
    expect(key).not.toContain('pa55word');
    expect(bindingKey('secret-token-123')).not.toContain('secret-token-123');
    expect(new Set(['\ud800', '\udc00', '\ufffd', '\ufffd\ufffd'].map(bindingKey)).size).toBe(4);
    expect(key).toMatch(/^d:default:[A-Za-z0-9_-]{22}$/);
  });

  it('are the same for the same parts, whatever else differs', () => {
    const a = defaultKey('default', viewer({ token: 't', ip: '203.0.113.1', channel: 'a001', session: '1', userAgent: 'x' }));
    const b = defaultKey('default', viewer({ token: 't', ip: '203.0.113.1', channel: 'a001', session: '2', userAgent: 'y' }));
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
    expect(byToken('default', viewer({ token: 't', ip: '203.0.113.1' }))).toBe(byToken('default', viewer({ token: 't', ip: '198.51.100.1' })));
  });
});
