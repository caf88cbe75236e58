import { describe, expect, it } from 'vitest';
import { readAnswer } from '../../src/adapters/readAnswer.js';
import type { MiddlewareAnswer } from '../../src/adapters/transport.js';

function answer(status: number, headers: MiddlewareAnswer['headers'] = {}, body = ''): MiddlewareAnswer {
  return { status, headers, body: Buffer.from(body) };
}

describe('readAnswer: status mapping', () => {
  it.each([200, 204])('%i allows', (status) => {
    expect(readAnswer(answer(status), undefined).outcome).toBe('allow');
  });
  it.each([400, 401, 403, 404, 429])('%i denies', (status) => {
    expect(readAnswer(answer(status), undefined).outcome).toBe('deny');
  });
  it.each([500, 502, 503, 504])('%i is an error, not a deny', (status) => {
    expect(readAnswer(answer(status), undefined)).toMatchObject({ outcome: 'error', error: 'server-error' });
  });
  it.each([101, 600, 999])('%i is an unexpected status', (status) => {
    expect(readAnswer(answer(status), undefined)).toMatchObject({ outcome: 'error', error: 'unexpected-status' });
  });
  it('3xx with Location denies with that redirect', () => {
    expect(readAnswer(answer(302, { location: 'http://promo/renew' }), undefined)).toMatchObject({
      outcome: 'deny',
      info: { redirect: 'http://promo/renew' },
    });
  });
  it('3xx without Location denies without a redirect', () => {
    expect(readAnswer(answer(301), undefined)).toMatchObject({ outcome: 'deny', info: { redirect: undefined } });
  });
  it('X-Location wins over Location; Location of a 200 is not a redirect', () => {
    expect(readAnswer(answer(302, { location: 'http://a', 'x-location': 'http://b' }), undefined)).toMatchObject({
      info: { redirect: 'http://b' },
    });
    expect(readAnswer(answer(200, { location: 'http://a' }), undefined)).toMatchObject({
      info: { redirect: undefined },
    });
  });
});

describe('readAnswer: a header sent more than once', () => {
  it('is read by its first value, and noted when the values differ', () => {
    const verdict = readAnswer(
      answer(200, { 'x-authduration': ['5', '99999'], 'x-userid': ['7', '7'], 'x-session-name': ['a', 'b'] }),
      undefined,
    );
    expect(verdict).toMatchObject({ outcome: 'allow', info: { authDuration: 5, userId: '7', sessionName: 'a' } });
    expect(verdict.outcome === 'allow' && verdict.notes).toEqual([
      'x-session-name sent 2 times with different values: the first is read',
      'x-authduration sent 2 times with different values: the first is read',
    ]);
  });
  it('notes two Locations on a redirect only, where Location is read', () => {
    const twoLocations = { location: ['http://a/', 'http://b/'] };
    const redirect = readAnswer(answer(302, twoLocations), undefined);
    expect(redirect).toMatchObject({ info: { redirect: 'http://a/' } });
    expect(redirect.outcome === 'deny' && redirect.notes).toEqual([
      'location sent 2 times with different values: the first is read',
    ]);
    const allow = readAnswer(answer(200, twoLocations), undefined);
    expect(allow.outcome === 'allow' && allow.notes).toEqual([]);
  });
});

describe('readAnswer: honoured headers', () => {
  it('reads every honoured header', () => {
    const verdict = readAnswer(
      answer(200, {
        'x-session-name': 'alice',
        'x-userid': '42',
        'x-authduration': '120',
        'x-max-sessions': '2',
        'x-unique': 'true',
      }),
      undefined,
    );
    expect(verdict).toEqual({
      outcome: 'allow',
      info: {
        sessionName: 'alice',
        userId: '42',
        redirect: undefined,
        authDuration: 120,
        maxSessions: 2,
        unique: true,
      },
      notes: [],
    });
  });
  it.each(['0', '00', '-5', '1.5', '30s', ' ', '31536001', '99999999999999999999'])(
    'an X-AuthDuration of %j is absent: an allow never carries a lifetime of 0 or less',
    (duration) => {
      const verdict = readAnswer(answer(200, { 'x-authduration': duration }), undefined);
      expect(verdict).toMatchObject({ outcome: 'allow', info: { authDuration: undefined } });
    },
  );
  it('an X-AuthDuration of 1 is kept', () => {
    expect(readAnswer(answer(200, { 'x-authduration': '1' }), undefined)).toMatchObject({ info: { authDuration: 1 } });
  });
  it('names the session by X-UserId when X-Session-Name is missing', () => {
    expect(readAnswer(answer(200, { 'x-userid': 'stb-7' }), undefined)).toMatchObject({
      info: { sessionName: 'stb-7' },
    });
  });
  it('ignores numbers that are not numbers, and says so', () => {
    const verdict = readAnswer(
      answer(200, { 'x-authduration': 'abc', 'x-max-sessions': '-1', 'x-unique': 'maybe' }),
      undefined,
    );
    expect(verdict).toMatchObject({
      outcome: 'allow',
      info: { authDuration: undefined, maxSessions: undefined, unique: undefined },
    });
    expect(verdict.outcome !== 'error' && verdict.notes).toEqual([
      'ignored x-authduration: not a whole number from 1 to 31536000',
      'ignored x-max-sessions: not a whole number from 0 to 1000000',
      'ignored x-unique: not true or false',
    ]);
  });
  it('takes the first of repeated headers', () => {
    expect(readAnswer(answer(200, { 'x-session-name': ['first', 'second'] }), undefined)).toMatchObject({
      info: { sessionName: 'first' },
    });
  });
});

describe('readAnswer: body rules', () => {
  const json = { format: 'json' as const, path: 'result.status', allow: ['ok', 1, true] };
  const xml = { format: 'xml' as const, path: 'auth.result', allow: [1] };

  it.each([
    ['{"result":{"status":"ok"}}', 'allow'],
    ['{"result":{"status":1}}', 'allow'],
    ['{"result":{"status":true}}', 'allow'],
    ['{"result":{"status":"fail"}}', 'deny'],
    ['{"result":{}}', 'deny'],
    ['{"result":{"status":{"nested":"ok"}}}', 'deny'],
    ['[1,2]', 'deny'],
  ])('JSON %s → %s', (body, outcome) => {
    expect(readAnswer(answer(200, {}, body), json).outcome).toBe(outcome);
  });

  it.each([
    ['<auth><result>1</result></auth>', 'allow'],
    ['<?xml version="1.0"?><auth><result> 1 </result></auth>', 'allow'],
    ['<auth><result>0</result></auth>', 'deny'],
    ['<auth/>', 'deny'],
  ])('XML %s → %s', (body, outcome) => {
    expect(readAnswer(answer(200, {}, body), xml).outcome).toBe(outcome);
  });

  it.each([
    ['json', '{"result":'],
    ['json', ''],
    ['xml', '<auth><result>1</result>'],
    ['xml', 'not xml at all'],
  ] as const)('malformed %s body is an error', (format, body) => {
    expect(readAnswer(answer(200, {}, body), format === 'json' ? json : xml)).toMatchObject({
      outcome: 'error',
      error: 'unparseable',
    });
  });

  it.each([
    ['the key the rule reads, its last value allowing', '{"result":{"status":"fail","status":"ok"}}'],
    ['another key', '{"result":{"status":"ok"},"result":{"status":"ok"}}'],
    ['a key written another way (\\u escape)', '{"result":{"status":"fail","st\\u0061tus":"ok"}}'],
  ])('a JSON body naming a key twice is an error, not read by its last value: %s', (_case, body) => {
    expect(readAnswer(answer(200, {}, body), json)).toMatchObject({
      outcome: 'error',
      error: 'unparseable',
      detail: expect.stringMatching(/twice$/),
    });
  });

  it('a JSON body nested past 64 levels is an error, without a stack overflow; a deep one within it is read', () => {
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    expect(readAnswer(answer(200, {}, deep(20_000)), json)).toMatchObject({ outcome: 'error', error: 'unparseable' });
    const within = `{"result":{"status":"ok","more":${deep(60)}}}`;
    expect(readAnswer(answer(200, {}, within), json).outcome).toBe('allow');
  });

  it('a body rule never turns a refusal into an allow', () => {
    expect(readAnswer(answer(403, {}, '{"result":{"status":"ok"}}'), json).outcome).toBe('deny');
    expect(readAnswer(answer(500, {}, '{"result":{"status":"ok"}}'), json).outcome).toBe('error');
  });
});
