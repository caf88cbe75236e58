import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBridge, type TestBridge } from '../support/bridge.js';
import type { ReplayServer } from '../support/replayServer.js';
import { type BackendDocument, replayFixtures } from './support.js';

/**
 * One middleware behind the real bridge, replaying its folder under test/fixtures, which must hold an
 * allow, a deny, and an allow on the channel `sport-hd` whose duration is unusable (`abc`).
 */
interface ThroughBridgeRow {
  /** Its backend type, route name and fixture folder. */
  readonly type: string;
  readonly backend: (url: string) => BackendDocument;
  /** A token its fixtures allow, the session name that allow gives, and its headers as a Flussonic caller gets them. */
  readonly allow: { readonly token: string; readonly sessionName: string; readonly flussonic: Record<string, string> };
  /** A token its fixtures deny, and the X-Location the caller gets. */
  readonly deny: { readonly token: string; readonly location: string };
  /** What the `backend answer partly ignored` note names for the unusable duration (a header, a body field). */
  readonly unusableDurationNote: string;
}

/** Each middleware of issue 3 behind the real bridge, replaying its recorded fixtures. */
const MIDDLEWARES: readonly ThroughBridgeRow[] = [
  {
    type: 'ministra',
    backend: (url: string) => ({ type: 'ministra', url: `${url}/stalker_portal` }),
    allow: {
      token: '6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7',
      sessionName: '1042',
      flussonic: { 'x-userid': '1042', 'x-unique': 'true', 'x-max-sessions': '10' },
    },
    // Ministra never redirects: the route's promo page is the X-Location.
    deny: { token: '0b8d6f4e2c1a39578e6d4c2b0a9f8e7d', location: 'http://promo.example.com/ministra' },
    unusableDurationNote: 'x-authduration',
  },
  {
    type: 'iptvportal',
    backend: (url: string) => ({ type: 'iptvportal', url }),
    allow: {
      token: 'Wm9CtX1qLr8fZp2Hs7dKa4NvYe0JcB6gTu3MiQw5xSoRlDn9PyEh',
      sessionName: '7731',
      flussonic: { 'x-userid': '7731' },
    },
    deny: {
      token: 'Rt5Yu8Io1Pa4Sd7Fg0Hj3Kl6Zx9Cv2Bn5Mq8We1Rt4Yu7Io0Pa3S',
      location: 'https://promo.example.com/iptvportal/renew',
    },
    unusableDurationNote: 'x-authduration',
  },
  {
    type: 'smarty',
    backend: (url: string) => ({ type: 'smarty', url }),
    allow: {
      token: '5a0e8f1c2b7d4e9a8c3f6b1d0e5a9c2f7b4d8e1a',
      sessionName: '5521',
      flussonic: { 'x-userid': '5521', 'x-authduration': '180' },
    },
    deny: { token: '1f6b3d8a5c0e7b2d9f4a1c6e3b8d5a0c7f2e9b4d', location: 'http://promo.example.com/smarty/blocked' },
    unusableDurationNote: 'x-authduration',
  },
];

const servers = new Map<string, ReplayServer>();
let bridge: TestBridge;

beforeAll(async () => {
  for (const { type } of MIDDLEWARES) servers.set(type, await replayFixtures(type));
  bridge = testBridge({
    backends: Object.fromEntries(MIDDLEWARES.map(({ type, backend }) => [type, backend(servers.get(type)!.url)])),
    routes: Object.fromEntries(
      MIDDLEWARES.map(({ type }) => [type, { backends: [type], denyRedirect: `http://promo.example.com/${type}` }]),
    ),
  });
});

afterAll(async () => {
  await bridge.close();
  for (const server of servers.values()) await server.close();
});

const astraHeaders = (channel: string) => ({
  'X-Session-ID': '1001',
  'X-Channel-ID': channel,
  'X-Real-IP': '203.0.113.7',
  'X-Real-Path': `/play/${channel}/index.m3u8`,
  'X-Real-UA': 'VLC/3.0.18',
  'X-Real-Host': 'tv.example.com',
});

function flussonicQuery(token: string, channel: string): string {
  return new URLSearchParams({
    name: channel,
    ip: '203.0.113.7',
    token,
    proto: 'hls',
    session_id: 's-1001',
    request_type: 'new_session',
  }).toString();
}

/**
 * Which step decided the last check on a route: `backend:<name>` when the middleware answered, `default`
 * when it failed. A deny's 403 and X-Location alone cannot tell a real deny from a broken middleware
 * (the route's default denies with the same redirect).
 */
function decidedBy(route: string, fromLine: number): unknown {
  const decisions = bridge.logs
    .slice(fromLine)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.message === 'decision' && entry.route === route);
  return decisions.at(-1)?.by;
}

describe.each(MIDDLEWARES)('$type through the bridge', ({ type, allow, deny, unusableDurationNote }) => {
  it("an Astra caller is allowed under the subscriber's name", async () => {
    const lines = bridge.logs.length;
    const res = await request(bridge.app)
      .get(`/auth/${type}?token=${allow.token}`)
      .set(astraHeaders('a001'))
      .expect(200);
    expect(res.headers['x-session-name']).toBe(allow.sessionName);
    expect(decidedBy(type, lines)).toBe(`backend:${type}`);
  });

  it("a Flussonic caller is allowed with the middleware's session headers", async () => {
    const lines = bridge.logs.length;
    const res = await request(bridge.app)
      .get(`/flussonic/${type}?${flussonicQuery(allow.token, 'a002')}`)
      .expect(200);
    expect(res.headers).toMatchObject({ 'x-session-name': allow.sessionName, ...allow.flussonic });
    expect(decidedBy(type, lines)).toBe(`backend:${type}`);
  });

  it('an Astra caller is denied with a redirect', async () => {
    const lines = bridge.logs.length;
    const res = await request(bridge.app)
      .get(`/auth/${type}?token=${deny.token}`)
      .set(astraHeaders('a001'))
      .expect(403);
    expect(res.headers['x-location']).toBe(deny.location);
    expect(decidedBy(type, lines)).toBe(`backend:${type}`);
  });

  it('a Flussonic caller is denied with a redirect', async () => {
    const lines = bridge.logs.length;
    const res = await request(bridge.app)
      .get(`/flussonic/${type}?${flussonicQuery(deny.token, 'a002')}`)
      .expect(403);
    expect(res.headers['x-location']).toBe(deny.location);
    expect(decidedBy(type, lines)).toBe(`backend:${type}`);
  });

  it('an unusable duration (abc) is ignored and logged once, however often the middleware sends it', async () => {
    const lines = bridge.logs.length;
    await request(bridge.app).get(`/auth/${type}?token=first-viewer-token`).set(astraHeaders('sport-hd')).expect(200);
    await request(bridge.app)
      .get(`/flussonic/${type}?${flussonicQuery('second-viewer-token', 'sport-hd')}`)
      .expect(200);
    const logged = bridge.logs.slice(lines).map((line) => JSON.parse(line) as Record<string, unknown>);
    const ignored = logged.filter((entry) => entry.message === 'backend answer partly ignored');
    expect(ignored).toEqual([
      expect.objectContaining({ backend: type, note: expect.stringContaining(unusableDurationNote) }),
    ]);
    expect(servers.get(type)!.received.filter((got) => JSON.stringify(got).includes('viewer-token'))).toHaveLength(2);
  });
});

it('no log line carries a middleware token', () => {
  const all = bridge.logs.join('\n');
  for (const { allow, deny } of MIDDLEWARES) {
    expect(all).not.toContain(allow.token);
    expect(all).not.toContain(deny.token);
  }
  expect(all).not.toContain('viewer-token');
});
