import { describe, expect, it } from 'vitest';
import type { Exchange } from '../../src/replay/fixtures.js';
import { differences, nearestExchange, type ReceivedRequest } from '../../src/replay/server.js';

const received = (changes: Partial<ReceivedRequest> = {}): ReceivedRequest => ({
  method: 'GET',
  path: '/check',
  rawQuery: 'token=t1&ip=203.0.113.8',
  query: { token: ['t1'], ip: ['203.0.113.8'] },
  headers: { 'x-real-ip': '203.0.113.8' },
  body: '',
  ...changes,
});

const recorded = (query: Record<string, string>, headers: Record<string, string> = {}): Exchange => ({
  request: { path: '/check', query, headers },
  response: { status: 200 },
});

describe('differences', () => {
  it('names the parts a request differs in from an exchange, never their values', () => {
    expect(differences(recorded({ token: 't1', ip: '203.0.113.7' }), received())).toEqual(['query.ip']);
    expect(
      differences(
        { request: { method: 'POST', path: '/other', body: 'x=1' }, response: {} },
        received({ body: 'x=2' }),
      ),
    ).toEqual(['method', 'path', 'body']);
    expect(differences(recorded({}, { 'X-Real-IP': '203.0.113.7' }), received())).toEqual(['header.x-real-ip']);
    expect(differences(recorded({ token: 't1' }), received({ method: 'HEAD' }))).toEqual([]);
  });
});

describe('nearestExchange', () => {
  it('picks the exchange that differs in the fewest parts', () => {
    const far = recorded({ token: 't9', ip: '198.51.100.1' });
    const near = recorded({ token: 't1', ip: '203.0.113.7' });
    expect(nearestExchange([far, near], received())).toEqual({ exchange: near, differs: ['query.ip'] });
    expect(nearestExchange([], received())).toBeUndefined();
  });
});
