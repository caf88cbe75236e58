import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smartyEndpoint } from '../../src/adapters/smarty.js';
import { MiddlewareClient } from '../../src/adapters/transport.js';
import type { ReplayServer } from '../support/replayServer.js';
import { adapterFrom, astraViewer, check, replayFixtures } from './support.js';

const TOKENS = {
  allow: '5a0e8f1c2b7d4e9a8c3f6b1d0e5a9c2f7b4d8e1a',
  bodySaysError: '7c2e9a4f1b8d3e6a0c5f2b9d4e1a8c3f6b0d7e2a',
  xml: '3e8a1c6f9b2d5e0a7c4f1b8d3e6a9c2f5b0d4e7a',
  deny: '9b4d0e7a2c5f8b1d6e3a0c9f4b7d2e5a8c1f6b3d',
  malformed: 'c7e4b9d6f1a8c3e0b5d2f7a4c9e6b1d8f3a0c5e2',
};
const errorIsZero = { format: 'json', path: 'error', allow: [0] };

const client = new MiddlewareClient();
let smarty: ReplayServer;

beforeAll(async () => {
  smarty = await replayFixtures('smarty');
});

afterAll(async () => {
  await smarty.close();
  await client.close();
});

const adapter = (settings: Record<string, unknown> = {}) =>
  adapterFrom({ type: 'smarty', url: smarty.url, timeoutMs: 500, ...settings }, client);

describe('smarty endpoint', () => {
  it.each([
    ['http://smarty.example.com', 'http://smarty.example.com/tvmiddleware/api/streamservice/token/check/'],
    ['http://smarty.example.com/', 'http://smarty.example.com/tvmiddleware/api/streamservice/token/check/'],
    [
      'https://mw.example.com:8443/smarty',
      'https://mw.example.com:8443/smarty/tvmiddleware/api/streamservice/token/check/',
    ],
    [
      'http://smarty.example.com/tvmiddleware/api/streamservice/token/check/',
      'http://smarty.example.com/tvmiddleware/api/streamservice/token/check/',
    ],
    [
      'http://smarty.example.com/tvmiddleware/api/streamservice/token/check',
      'http://smarty.example.com/tvmiddleware/api/streamservice/token/check/',
    ],
  ])('%s → %s', (url, endpoint) => {
    expect(smartyEndpoint(url)).toBe(endpoint);
  });
});

describe('smarty answers', () => {
  it('an allow honours X-AuthDuration and X-UserId, asked Flussonic style', async () => {
    expect(await check(adapter(), astraViewer(TOKENS.allow))).toEqual({
      outcome: 'allow',
      info: {
        sessionName: '5521',
        userId: '5521',
        redirect: undefined,
        authDuration: 180,
        maxSessions: undefined,
        unique: undefined,
      },
      notes: [],
    });
    const got = smarty.received.at(-1)!;
    expect(got.path).toBe('/tvmiddleware/api/streamservice/token/check/');
    expect(got.query).toMatchObject({
      token: [TOKENS.allow],
      name: ['a001'],
      ip: ['203.0.113.7'],
      proto: ['hls'],
      session_id: ['1001'],
    });
  });

  it("a deny carries Smarty's X-Location", async () => {
    expect(await check(adapter(), astraViewer('1f6b3d8a5c0e7b2d9f4a1c6e3b8d5a0c7f2e9b4d'))).toMatchObject({
      outcome: 'deny',
      info: { redirect: 'http://promo.example.com/smarty/blocked' },
    });
  });

  it("an empty token is still Smarty's to refuse", async () => {
    const before = smarty.received.length;
    expect(await check(adapter(), astraViewer(''))).toMatchObject({ outcome: 'deny' });
    expect(smarty.received.length).toBe(before + 1);
  });
});

describe('smarty bodies: the status decides unless a body rule says otherwise', () => {
  it.each([
    ['a 200 whose JSON says error', TOKENS.bodySaysError, undefined, 'allow'],
    ['a 200 whose JSON says error, with a rule', TOKENS.bodySaysError, errorIsZero, 'deny'],
    ['a 200 whose JSON says ok, with a rule', TOKENS.allow, errorIsZero, 'allow'],
    ['a 403 whose JSON says error', TOKENS.deny, undefined, 'deny'],
    ['a 403 whose JSON says error, with a rule', TOKENS.deny, errorIsZero, 'deny'],
    ['an XML body', TOKENS.xml, undefined, 'allow'],
    ['an XML body, with an XML rule', TOKENS.xml, { format: 'xml', path: 'response.error', allow: [0] }, 'allow'],
    [
      'an XML body, with an XML rule it fails',
      TOKENS.xml,
      { format: 'xml', path: 'response.result', allow: ['success'] },
      'deny',
    ],
    ['a cut-off JSON body', TOKENS.malformed, undefined, 'allow'],
  ])('%s → %s', async (_, token, body, outcome) => {
    expect(await check(adapter({ body }), astraViewer(token))).toMatchObject({ outcome });
  });

  it.each([
    ['a cut-off JSON body under a JSON rule', TOKENS.malformed, errorIsZero],
    ['an XML body under a JSON rule', TOKENS.xml, errorIsZero],
  ])('%s is an error', async (_, token, body) => {
    expect(await check(adapter({ body }), astraViewer(token))).toMatchObject({
      outcome: 'error',
      error: 'unparseable',
    });
  });
});

describe('smarty bad answers', () => {
  it.each([
    [
      'X-AuthDuration: abc',
      '8d3f0b5e2a7c4f9b6d1e8a3c0f5b2d7e4a9c6f1b',
      {
        outcome: 'allow',
        info: { authDuration: undefined, userId: '5524' },
        notes: [expect.stringContaining('x-authduration')],
      },
    ],
    ['a failing app (500)', '2a7c4f9b6d1e8a3c0f5b2d7e4a9c6f1b8d3e0a5c', { outcome: 'error', error: 'server-error' }],
    ['a slow Smarty', '4c9e6b1d8f3a0c5e2b7d4f9a6c1e8b3d0f5a2c7e', { outcome: 'error', error: 'timeout' }],
    ['a Smarty that never answers', '6e1b8d3f0a5c2e7b4d9f6a1c8e3b0d5f2a7c4e9b', { outcome: 'error', error: 'timeout' }],
    ['a reset connection', '0d5f2a7c4e9b6d1f8a3c0e5b2d7f4a9c6e1b8d3f', { outcome: 'error', error: 'reset' }],
    ['a 70 000-byte answer', 'e9b6d1f8a3c0e5b2d7f4a9c6e1b8d3f0a5c2e7b4', { outcome: 'error', error: 'too-large' }],
  ])('%s', async (_, token, verdict) => {
    expect(await check(adapter(), astraViewer(token))).toMatchObject(verdict);
  });
});
