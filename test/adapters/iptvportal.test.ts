import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iptvportalEndpoint } from '../../src/adapters/iptvportal.js';
import { MiddlewareClient } from '../../src/adapters/transport.js';
import type { ReplayServer } from '../support/replayServer.js';
import { adapterFrom, astraViewer, check, replayFixtures } from './support.js';

const ALLOWED = 'Wm9CtX1qLr8fZp2Hs7dKa4NvYe0JcB6gTu3MiQw5xSoRlDn9PyEh';
const EXPIRED = 'Qx4Ud7Fh2Jk9Lm0Np3Rs6Tv8Wy1Za5Bc7De9Fg2Hi4Jk6Lm8No0P';

const client = new MiddlewareClient();
let portal: ReplayServer;

beforeAll(async () => {
  portal = await replayFixtures('iptvportal');
});

afterAll(async () => {
  await portal.close();
  await client.close();
});

const iptvportal = (settings: Record<string, unknown> = {}) =>
  adapterFrom({ type: 'iptvportal', url: portal.url, timeoutMs: 500, ...settings }, client);

describe('iptvportal endpoint', () => {
  it.each([
    ['https://go.iptvportal.cloud', 'cesbo', 'https://go.iptvportal.cloud/auth/arescrypt/'],
    ['https://go.iptvportal.cloud/', 'flussonic', 'https://go.iptvportal.cloud/auth/flussonic/arescrypt/'],
    ['http://10.0.0.5:8080/portal', 'cesbo', 'http://10.0.0.5:8080/portal/auth/arescrypt/'],
    ['http://10.0.0.5:8080/portal/', 'flussonic', 'http://10.0.0.5:8080/portal/auth/flussonic/arescrypt/'],
    ['https://go.iptvportal.cloud/auth/arescrypt/', 'cesbo', 'https://go.iptvportal.cloud/auth/arescrypt/'],
    [
      'https://go.iptvportal.cloud/auth/arescrypt',
      'flussonic',
      'https://go.iptvportal.cloud/auth/flussonic/arescrypt/',
    ],
    ['https://go.iptvportal.cloud/auth/flussonic/arescrypt/', 'cesbo', 'https://go.iptvportal.cloud/auth/arescrypt/'],
  ] as const)('%s with protocol %s → %s', (url, protocol, endpoint) => {
    expect(iptvportalEndpoint({ url, protocol })).toBe(endpoint);
  });
});

describe('iptvportal protocols', () => {
  it("cesbo (the default): the viewer's query and X-* headers go to /auth/arescrypt/", async () => {
    expect(await check(iptvportal(), astraViewer(ALLOWED))).toMatchObject({
      outcome: 'allow',
      info: { userId: '7731', authDuration: 3600 },
    });
    const got = portal.received.at(-1)!;
    expect(got.path).toBe('/auth/arescrypt/');
    expect(got.rawQuery).toBe(`token=${ALLOWED}`);
    expect(got.headers).toMatchObject({
      'x-real-ip': '203.0.113.7',
      'x-real-path': '/play/a001/index.m3u8',
      'x-channel-id': 'a001',
      'x-session-id': '1001',
    });
  });

  it("flussonic: Flussonic's parameters go to /auth/flussonic/arescrypt/", async () => {
    expect(await check(iptvportal({ protocol: 'flussonic' }), astraViewer(ALLOWED))).toMatchObject({
      outcome: 'allow',
      info: { userId: '7731' },
    });
    const got = portal.received.at(-1)!;
    expect(got.path).toBe('/auth/flussonic/arescrypt/');
    expect(got.query).toMatchObject({
      token: [ALLOWED],
      ip: ['203.0.113.7'],
      name: ['a001'],
      proto: ['hls'],
      qs: [`token=${ALLOWED}`],
    });
    expect(got.headers['x-real-ip']).toBeUndefined();
  });

  it('the raw query reaches the portal byte for byte: the portal, not the bridge, reads arescrypt', async () => {
    const rawQuery = `token=${ALLOWED}&sig=a%2Bb+c%2f&t=1700000000&e=%7E'`;
    await check(iptvportal(), astraViewer(ALLOWED, { rawQuery }));
    expect(portal.received.at(-1)!.rawQuery).toBe(rawQuery);
  });

  it.each(['cesbo', 'flussonic'])('protocol %s: a refusal and a redirect are denies', async (protocol) => {
    expect(await check(iptvportal({ protocol }), astraViewer(EXPIRED))).toMatchObject({
      outcome: 'deny',
      info: { redirect: undefined },
    });
    expect(
      await check(iptvportal({ protocol }), astraViewer('Rt5Yu8Io1Pa4Sd7Fg0Hj3Kl6Zx9Cv2Bn5Mq8We1Rt4Yu7Io0Pa3S')),
    ).toMatchObject({
      outcome: 'deny',
      info: { redirect: 'https://promo.example.com/iptvportal/renew' },
    });
  });
});

describe('iptvportal bad answers', () => {
  it.each([
    [
      'X-AuthDuration: abc',
      'Ab3Cd6Ef9Gh2Ij5Kl8Mn1Op4Qr7St0Uv3Wx6Yz9Ab2Cd5Ef8Gh1I',
      {
        outcome: 'allow',
        info: { authDuration: undefined, userId: '7732' },
        notes: [expect.stringContaining('x-authduration')],
      },
    ],
    [
      'a restarting portal (503)',
      'Jk2Lm5No8Pq1Rs4Tu7Vw0Xy3Za6Bc9De2Fg5Hi8Jk1Lm4No7Pq0R',
      { outcome: 'error', error: 'server-error' },
    ],
    ['a slow portal', 'Sl0wTk3nAb4Cd7Ef0Gh3Ij6Kl9Mn2Op5Qr8St1Uv4Wx7Yz0Ab3Cd', { outcome: 'error', error: 'timeout' }],
    [
      'a portal that never answers',
      'Hn9GtK2nBa5Dc8Fe1Hg4Ji7Lk0Nm3Po6Rq9Ts2Vu5Xw8Zy1Ba4Dc',
      { outcome: 'error', error: 'timeout' },
    ],
    [
      'a reset connection',
      'Rs7EtC0nAq3Sw6De9Fr2Gt5Hy8Ju1Ki4Lo7Pz0Xc3Vb6Nm9Qa2Ws',
      { outcome: 'error', error: 'reset' },
    ],
    [
      'a 70 000-byte chunked answer',
      'Ov3rS1zEq4Wd7Fg0Hj3Kl6Zx9Cv2Bn5Mq8We1Rt4Yu7Io0Pa3Sd6',
      { outcome: 'error', error: 'too-large' },
    ],
    ['a cut-off JSON body, no body rule', 'Mf5BdYx8Wv1Ut4Sr7Qp0On3Ml6Kj9Ih2Gf5Ed8Cb1Az4Yx7Wv0Ut', { outcome: 'allow' }],
  ])('%s', async (_, token, verdict) => {
    expect(await check(iptvportal(), astraViewer(token))).toMatchObject(verdict);
  });

  it('a cut-off JSON body under a body rule is an error', async () => {
    const adapter = iptvportal({ body: { format: 'json', path: 'status', allow: ['ok'] } });
    expect(await check(adapter, astraViewer('Mf5BdYx8Wv1Ut4Sr7Qp0On3Ml6Kj9Ih2Gf5Ed8Cb1Az4Yx7Wv0Ut'))).toMatchObject({
      outcome: 'error',
      error: 'unparseable',
    });
  });
});

describe('iptvportal without a token', () => {
  it('is still asked (the viewer may carry arescrypt elsewhere), and its refusal is a deny', async () => {
    const before = portal.received.length;
    expect(await check(iptvportal(), astraViewer(''))).toMatchObject({ outcome: 'deny' });
    expect(await check(iptvportal({ protocol: 'flussonic' }), astraViewer(undefined))).toMatchObject({
      outcome: 'deny',
    });
    expect(portal.received.length).toBe(before + 2);
  });
});
