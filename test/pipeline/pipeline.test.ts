import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testBridge, type TestBridge } from '../support/bridge.js';
import { useReplayedMiddleware } from '../support/replayedMiddleware.js';

const PROMO = 'http://promo.example.com/promo';
const PATH = '/tv/travel-channel/index.m3u8';
const NOW = () => Math.floor(Date.now() / 1000);

/** A securetoken made independently of the bridge's own signer, as a middleware's PHP would. */
function securetoken(subject: string, ip: string, secret: string, start: number, end: number, salt = '5a17'): string {
  const hash = createHash('sha1').update(`${subject}${ip}${start}${end}${secret}${salt}`).digest('hex');
  return `${hash}-${salt}-${end}-${start}`;
}

const middleware = useReplayedMiddleware([
  {
    request: { path: '/check', query: { token: 'mw-token' } },
    response: { status: 200, headers: { 'X-Session-Name': 'mw-user' } },
  },
  {
    request: { path: '/check', query: { auth: 'testuser:mw-password' } },
    response: { status: 200, headers: { 'X-Session-Name': 'testuser@mw' } },
  },
  { request: { path: '/check' }, response: { status: 403 } },
]);
let bridge: TestBridge;

beforeAll(async () => {
  bridge = testBridge({
    ipRules: ['allow 198.51.100.10', 'deny 198.51.100.66', 'deny 2001:db8:bad::/48', 'pass 198.51.100.0/24'],
    securetoken: { secret: ['new-secret', 'old-secret'], hash: 'path' },
    packages: { basic: ['a001', 'a002', 'travel-channel'] },
    users: [
      { login: 'testuser', password: '87326848', token: '8732684ydbeb8', packages: ['basic'] },
      { login: 'anna', password: bcrypt.hashSync('anna-pass', 4), ip: '203.0.113.0/24', expires: NOW() + 86_400 },
      { login: 'old', token: 'old-token', expires: '2020-01-01T00:00:00Z' },
      { login: 'off', token: 'off-token', enabled: false },
      { login: 'Ёжик', password: 'туман' },
    ],
    backends: { mw: { type: 'http', url: `${middleware.url}/check`, timeoutMs: 1000 } },
    routes: { default: { backends: ['mw'], denyRedirect: PROMO } },
  });
});

afterAll(async () => {
  await bridge.close();
});

let askedBefore = 0;
beforeEach(() => {
  askedBefore = middleware.received.length;
});
const middlewareAsked = () => middleware.received.length - askedBefore;

const astra = (ip: string, channel = 'a001') => ({
  'X-Session-ID': '1',
  'X-Real-IP': ip,
  'X-Channel-ID': channel,
  'X-Real-Path': `/play/${channel}/index.m3u8`,
});
const alta = (ip: string, path = PATH) => ({ 'X-Session-ID': '1', 'X-Real-IP': ip, 'X-Real-Path': path });
const lastDecision = () =>
  JSON.parse(bridge.logs.filter((line) => line.includes('"decision"')).at(-1)!) as Record<string, unknown>;

describe('1. IP rules', () => {
  it('allow: 200 with no token and no further check', async () => {
    await request(bridge.app).get('/auth').set(astra('198.51.100.10')).expect(200);
    expect(middlewareAsked()).toBe(0);
    expect(lastDecision().by).toBe('ip-rule (allow 198.51.100.10)');
  });

  it('deny: 403 even with a valid local token or securetoken, with the route’s redirect', async () => {
    const denied = await request(bridge.app).get('/auth?token=8732684ydbeb8').set(astra('198.51.100.66')).expect(403);
    expect(denied.headers['x-location']).toBe(PROMO);
    const token = securetoken(PATH, '198.51.100.66', 'new-secret', NOW() - 10, NOW() + 3600);
    await request(bridge.app).get(`/auth?token=${token}`).set(alta('198.51.100.66')).expect(403);
    expect(middlewareAsked()).toBe(0);
    expect(lastDecision().by).toBe('ip-rule (deny 198.51.100.66)');
  });

  it('matches IPv6 viewers, and IPv4-mapped IPv6 viewers as IPv4', async () => {
    await request(bridge.app).get('/auth?token=mw-token').set(astra('2001:db8:bad::7')).expect(403);
    await request(bridge.app).get('/auth?token=mw-token').set(astra('::ffff:198.51.100.66')).expect(403);
    await request(bridge.app).get('/auth').set(astra('::ffff:198.51.100.10')).expect(200);
    expect(middlewareAsked()).toBe(0);
  });

  it('pass, or no match: on to the next steps', async () => {
    const passed = await request(bridge.app).get('/auth?token=mw-token').set(astra('198.51.100.20')).expect(200);
    expect(passed.headers['x-session-name']).toBe('mw-user');
    await request(bridge.app).get('/auth?token=mw-token').set(astra('192.0.2.1')).expect(200);
    expect(middlewareAsked()).toBe(2);
  });
});

describe('2. securetoken', () => {
  it('a valid token decides allow without asking the middleware', async () => {
    const token = securetoken(PATH, '192.0.2.44', 'new-secret', NOW() - 10, NOW() + 3600);
    const res = await request(bridge.app).get(`/auth?token=${token}`).set(alta('192.0.2.44')).expect(200);
    expect(res.headers['x-session-name']).toBeUndefined();
    expect(middlewareAsked()).toBe(0);
    expect(lastDecision().by).toBe('securetoken');
  });

  it('a token signed with the previous secret still works while both are configured', async () => {
    const token = securetoken(PATH, '192.0.2.44', 'old-secret', NOW() - 10, NOW() + 3600);
    await request(bridge.app).get(`/auth?token=${token}`).set(alta('192.0.2.44')).expect(200);
  });

  it.each([
    ['expired', () => securetoken(PATH, '192.0.2.44', 'new-secret', NOW() - 7200, NOW() - 3600), alta('192.0.2.44')],
    [
      'not yet valid',
      () => securetoken(PATH, '192.0.2.44', 'new-secret', NOW() + 3600, NOW() + 7200),
      alta('192.0.2.44'),
    ],
    [
      'bad signature',
      () => securetoken(PATH, '192.0.2.44', 'wrong-secret', NOW() - 10, NOW() + 3600),
      alta('192.0.2.44'),
    ],
    [
      'bad signature',
      () => securetoken(PATH, '192.0.2.44', 'new-secret', NOW() - 10, NOW() + 3600),
      alta('192.0.2.45'),
    ],
    [
      'bad signature',
      () => securetoken(PATH, '192.0.2.44', 'new-secret', NOW() - 10, NOW() + 3600),
      alta('192.0.2.44', '/tv/other/index.m3u8'),
    ],
    ['malformed', () => `${'z'.repeat(40)}-5a17-${NOW() + 60}-${NOW()}`, alta('192.0.2.44')],
    ['malformed', () => `${'a'.repeat(40)}-5a17-soon-${NOW()}`, alta('192.0.2.44')],
    [
      'no path to check',
      () => securetoken(PATH, '192.0.2.44', 'new-secret', NOW() - 10, NOW() + 3600),
      { 'X-Real-IP': '192.0.2.44' },
    ],
    [
      'no viewer IP to check',
      () => securetoken(PATH, '', 'new-secret', NOW() - 10, NOW() + 3600),
      { 'X-Real-Path': PATH },
    ],
  ])(
    'a securetoken-shaped token that is %s decides deny, with the redirect, without asking the middleware',
    async (reason, make, headers) => {
      const res = await request(bridge.app).get(`/auth?token=${make()}`).set(headers).expect(403);
      expect(res.headers['x-location']).toBe(PROMO);
      expect(middlewareAsked()).toBe(0);
      expect(lastDecision().by).toBe(`securetoken (${reason})`);
    },
  );

  it('any other token passes on to the middleware', async () => {
    await request(bridge.app).get('/auth?token=mw-token').set(alta('192.0.2.44')).expect(200);
    expect(middlewareAsked()).toBe(1);
  });
});

describe('3. local users', () => {
  it('a user’s token decides allow with X-Session-Name, without asking the middleware', async () => {
    const res = await request(bridge.app).get('/auth?token=8732684ydbeb8').set(astra('192.0.2.1', 'a002')).expect(200);
    expect(res.headers['x-session-name']).toBe('testuser');
    expect(middlewareAsked()).toBe(0);
    expect(lastDecision().by).toBe('user:testuser');
  });

  it('auth=login:password decides allow, also for a bcrypt password', async () => {
    const plain = await request(bridge.app).get('/auth?auth=testuser:87326848').set(astra('192.0.2.1')).expect(200);
    expect(plain.headers['x-session-name']).toBe('testuser');
    const hashed = await request(bridge.app)
      .get('/auth?auth=anna:anna-pass')
      .set(astra('203.0.113.5', 'any-channel'))
      .expect(200);
    expect(hashed.headers['x-session-name']).toBe('anna');
    expect(middlewareAsked()).toBe(0);
  });

  it('a unicode login and password work, answered in UTF-8', async () => {
    const res = await request(bridge.app)
      .get(`/auth?auth=${encodeURIComponent('Ёжик')}:${encodeURIComponent('туман')}`)
      .set(astra('192.0.2.1'))
      .expect(200);
    expect(Buffer.from(res.headers['x-session-name']!, 'latin1').toString('utf8')).toBe('Ёжик');
  });

  it.each([
    ['a wrong password', 'auth=testuser:mw-password', 200, '192.0.2.101'],
    ['an unknown token', 'token=unknown-token', 403, '192.0.2.102'],
    ['auth= without a colon', 'auth=testuser', 403, '192.0.2.103'],
    ['auth= with an empty password', 'auth=testuser:', 403, '192.0.2.104'],
    ['auth= with an empty login', 'auth=:87326848', 403, '192.0.2.105'],
  ])('%s passes on: the middleware decides', async (_what, query, status, ip) => {
    // A viewer IP of its own each, so no answer the cache kept for another case stands in.
    const res = await request(bridge.app).get(`/auth?${query}`).set(astra(ip)).expect(status);
    expect(middlewareAsked()).toBe(1);
    if (status === 200) expect(res.headers['x-session-name']).toBe('testuser@mw');
  });

  it.each([
    ['expired', '/auth?token=old-token', astra('192.0.2.1')],
    ['disabled', '/auth?token=off-token', astra('192.0.2.1')],
    ['IP not allowed', '/auth?auth=anna:anna-pass', astra('192.0.2.1')],
    ['channel not in packages', '/auth?token=8732684ydbeb8', astra('192.0.2.1', 'premium-1')],
  ])(
    'a known user who is %s is denied with the redirect, without asking the middleware',
    async (reason, url, headers) => {
      const res = await request(bridge.app).get(url).set(headers).expect(403);
      expect(res.headers['x-location']).toBe(PROMO);
      expect(middlewareAsked()).toBe(0);
      expect(lastDecision().by).toMatch(new RegExp(`^user:\\w+ \\(${reason}\\)$`));
    },
  );

  it('packages are checked against the channel from the path when the caller sends no channel id (Alta)', async () => {
    await request(bridge.app).get('/auth?token=8732684ydbeb8').set(alta('192.0.2.1')).expect(200);
    await request(bridge.app)
      .get('/auth?token=8732684ydbeb8')
      .set(alta('192.0.2.1', '/tv/premium-1/index.m3u8'))
      .expect(403);
  });

  it('works for Flussonic callers: token and auth= inside qs', async () => {
    await request(bridge.app).get('/flussonic?name=a001&ip=192.0.2.1&token=8732684ydbeb8&session_id=9').expect(200);
    const res = await request(bridge.app)
      .get(`/flussonic?name=a001&ip=192.0.2.1&qs=${encodeURIComponent('auth=testuser:87326848')}`)
      .expect(200);
    expect(res.headers['x-session-name']).toBe('testuser');
    expect(middlewareAsked()).toBe(0);
  });

  it('never logs a password or a token in clear', () => {
    const all = bridge.logs.join('\n');
    for (const secret of ['87326848', 'anna-pass', '8732684ydbeb8', 'old-token', 'туман'])
      expect(all).not.toContain(secret);
  });
});

describe('securetoken for Astra (hash: channel)', () => {
  let astraBridge: TestBridge;
  beforeAll(() => {
    astraBridge = testBridge({ securetoken: { secret: 'astra-secret', hash: 'channel', clockSkew: 0 } });
  });
  afterAll(() => astraBridge.close());

  it('signs the channel id (X-Channel-ID from Astra, name from Flussonic)', async () => {
    const token = securetoken('a001', '192.0.2.9', 'astra-secret', NOW() - 5, NOW() + 600);
    await request(astraBridge.app).get(`/auth?token=${token}`).set(astra('192.0.2.9')).expect(200);
    await request(astraBridge.app).get(`/flussonic?name=a001&ip=192.0.2.9&token=${token}`).expect(200);
    await request(astraBridge.app).get(`/auth?token=${token}`).set(astra('192.0.2.9', 'a002')).expect(403);
  });

  it('with clockSkew 0, a token whose start is still ahead is refused', async () => {
    const token = securetoken('a001', '192.0.2.9', 'astra-secret', NOW() + 120, NOW() + 600);
    await request(astraBridge.app).get(`/auth?token=${token}`).set(astra('192.0.2.9')).expect(403);
  });

  it('Flussonic answers carry X-AuthDuration no longer than the link’s remaining life', async () => {
    const token = securetoken('a001', '192.0.2.9', 'astra-secret', NOW() - 5, NOW() + 100);
    const res = await request(astraBridge.app).get(`/flussonic?name=a001&ip=192.0.2.9&token=${token}`).expect(200);
    expect(Number(res.headers['x-authduration'])).toBeGreaterThan(0);
    expect(Number(res.headers['x-authduration'])).toBeLessThanOrEqual(100);
  });
});

/**
 * bcryptjs.hashSync('right', 12), made once: checking it takes the bridge far longer than the 50 ms budget,
 * and hashing it here took a second of CPU on every run.
 */
const SLOW_HASH_OF_RIGHT = '$2b$12$RxDtoIpuubKjVCni2tXCeeaocMM/wsAEuEkrsWx5eV.dznMgaT6xC';

describe('time budget', () => {
  it('a password check still waiting when the route budget is spent gets the route default, not a late answer', async () => {
    const slow = testBridge({
      users: [{ login: 'slowpoke', password: SLOW_HASH_OF_RIGHT }],
      routes: { default: { timeoutMs: 50, denyRedirect: PROMO } },
    });
    try {
      await request(slow.app)
        .get('/auth?auth=slowpoke:right')
        .set('X-Real-IP', '203.0.113.5')
        .expect(403)
        .expect('X-Location', PROMO);
      expect(slow.logs.find((line) => line.includes('"message":"decision"'))).toContain('"by":"default"');
    } finally {
      await slow.close();
    }
  });
});
