import { describe, expect, it } from 'vitest';
import { formatTrace } from '../../src/trace/format.js';
import type { Trace } from '../../src/trace/types.js';

const trace: Trace = {
  route: 'default',
  dialect: 'cesbo',
  viewer: { ip: '203.0.113.7', token: '***' },
  steps: [
    { step: 'ip-rules', saw: { ip: '203.0.113.7' }, result: 'passed', durationMs: 0.04 },
    { step: 'cache', saw: {}, result: 'skipped', note: 'a trace never reads or writes the cache', durationMs: 0 },
    {
      step: 'backends',
      saw: { backends: 'mw, down', mode: 'any' },
      result: 'decided',
      verdict: { allow: false, by: 'backend:mw', redirect: 'http://promo/\u001b[31mred' },
      durationMs: 12.345,
      backends: [
        {
          backend: 'mw',
          type: 'http',
          request: {
            method: 'GET',
            url: 'http://127.0.0.1:9/check?token=***',
            headers: { 'x-real-ip': '203.0.113.7' },
          },
          status: 403,
          headers: { 'x-location': 'http://promo/\u001b[31mred' },
          outcome: 'deny',
          notes: ['ignored x-max-sessions: not a whole number up to 1000000'],
          durationMs: 11.5,
        },
        {
          backend: 'down',
          type: 'http',
          request: { method: 'GET', url: 'http://127.0.0.1:1/', headers: {} },
          outcome: 'error',
          error: 'refused',
          detail: 'connection failed (ECONNREFUSED)',
          notes: [],
          durationMs: 1,
        },
      ],
    },
  ],
  decision: {
    allow: false,
    by: 'backend:mw',
    status: 403,
    redirect: 'http://promo/\u001b[31mred',
    ttlSeconds: 30,
    headers: { 'X-Location': 'http://promo/\u001b[31mred' },
  },
  durationMs: 12.6,
};

describe('formatTrace', () => {
  it('prints each step in order with what it saw, each backend asked, and the answer', () => {
    expect(formatTrace(trace)).toBe(
      [
        'route default, cesbo caller; cache not used',
        'viewer: ip=203.0.113.7 token=***',
        '',
        '1. ip-rules         passed on  [0.0 ms]',
        '     saw: ip=203.0.113.7',
        '2. cache            skipped  [0.0 ms]',
        '     note: a trace never reads or writes the cache',
        '3. backends         decided: deny by backend:mw (redirect "http://promo/\\u001b[31mred")  [12.3 ms]',
        '     saw: backends=mw, down mode=any',
        '     mw (http): deny, status 403, 11.5 ms',
        '       sent: GET http://127.0.0.1:9/check?token=***',
        '       headers sent: x-real-ip=203.0.113.7',
        '       headers read: x-location="http://promo/\\u001b[31mred"',
        '       note: ignored x-max-sessions: not a whole number up to 1000000',
        '     down (http): error refused: connection failed (ECONNREFUSED), 1.0 ms',
        '       sent: GET http://127.0.0.1:1/',
        '',
        'answer: 403 deny by backend:mw (redirect "http://promo/\\u001b[31mred", valid 30 s) in 12.6 ms',
        '   headers: X-Location="http://promo/\\u001b[31mred"',
        '',
      ].join('\n'),
    );
  });

  it('says when a backend was not asked, and when the budget ran out', () => {
    const text = formatTrace({
      ...trace,
      steps: [
        {
          ...trace.steps[2]!,
          backends: [{ backend: 'portal', type: 'ministra', outcome: 'deny', notes: [], durationMs: 0 }],
        },
      ],
      note: "the route's budget (timeoutMs 100) ran out",
    });
    expect(text).toContain(
      '     portal (ministra): deny, 0.0 ms\n       not asked: the adapter decided without the middleware\n',
    );
    expect(text).toContain("\nnote: the route's budget (timeoutMs 100) ran out\nanswer: 403");
  });
});
