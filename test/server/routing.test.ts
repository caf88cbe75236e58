import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CALLER_PROTOCOLS } from '../../src/protocols/registry.js';
import type { CallerProtocol } from '../../src/protocols/types.js';
import { callerRouting, plainRoute } from '../../src/server/routing.js';
import { incoming } from '../protocols/support.js';

const hook = { ...CALLER_PROTOCOLS[0]!, name: 'srs', prefix: '/hook', methods: ['POST'] } as CallerProtocol;
const routing = callerRouting([CALLER_PROTOCOLS[0]!, hook], [{ path: '/healthz', methods: ['GET', 'HEAD'] }]);

describe('routes derived from the list of caller protocols', () => {
  it('the fast path knows every prefix and its methods, and nothing else', () => {
    const fast = (target: string, method = 'GET') => {
      const handed: Array<[string, string]> = [];
      const taken = routing.fast(incoming(target, {}, method), {} as ServerResponse, (protocol, route) => {
        handed.push([protocol.prefix, route]);
        return Promise.resolve();
      });
      return taken ? handed : false;
    };
    expect(fast('/auth/vip?token=t')).toEqual([['/auth', 'vip']]);
    expect(fast('/hook', 'POST')).toEqual([['/hook', 'default']]);
    expect(fast('/hook')).toBe(false);
    expect(fast('/flussonic')).toBe(false);
    expect(fast('/auth/%41')).toBe(false);
  });

  it('reads a plain route after the prefix as the pattern prefix, then /name, a slash, then ? or the end', () => {
    const pattern = /^\/auth(?:\/([A-Za-z0-9_-]+))?\/?(?:\?|$)/;
    const targets = [
      '/auth',
      '/auth/',
      '/auth?',
      '/auth?token=t/x',
      '/auth/vip',
      '/auth/vip/',
      '/auth/vip?t=1',
      '/auth/v-_9Z/?t',
      '/auth//',
      '/auth/vip/x',
      '/auth/vip//',
      '/authx',
      '/auth#x',
      '/auth/%41',
      '/auth/vip#',
      '/auth/ ',
      '/auth/é',
      '/auth/vip/?',
    ];
    for (const target of targets) {
      const match = pattern.exec(target);
      expect(plainRoute(target, '/auth'.length), target).toBe(match ? (match[1] ?? 'default') : undefined);
    }
  });

  it('everything else resolves as a router would: decoded names, any case, 404, 405 with Allow', () => {
    expect(routing.resolve(incoming('/AUTH/%41b/'))).toEqual({
      kind: 'decide',
      routed: { protocol: CALLER_PROTOCOLS[0], route: 'Ab' },
    });
    expect(routing.resolve(incoming('/hook/', {}, 'POST'))).toEqual({
      kind: 'decide',
      routed: { protocol: hook, route: 'default' },
    });
    expect(routing.resolve(incoming('/healthz?x=1'))).toEqual({ kind: 'service', path: '/healthz' });
    const refused = (target: string, method = 'GET') => {
      const resolved = routing.resolve(incoming(target, {}, method));
      return resolved.kind === 'refuse'
        ? [resolved.problem.status, resolved.problem.message, resolved.allow]
        : resolved;
    };
    expect(refused('/hook')).toEqual([405, 'only POST is answered', 'POST']);
    expect(refused('/auth', 'POST')).toEqual([405, 'only GET and HEAD are answered', 'GET, HEAD']);
    expect(refused('/healthz', 'DELETE')).toEqual([405, 'only GET and HEAD are answered', 'GET, HEAD']);
    expect(refused('/flussonic')).toEqual([404, 'not found', undefined]);
    expect(refused('/auth/a/b')).toEqual([404, 'not found', undefined]);
    expect(refused('/auth/%E0%A4%A')).toEqual([400, 'malformed request path', undefined]);
  });
});
