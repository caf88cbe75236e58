import bcrypt from 'bcryptjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ViewerRequest } from '../../src/viewer.js';
import { testBridge, type TestBridge } from '../support/bridge.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

let middleware: ReplayServer;
let bridges: TestBridge[];

afterEach(async () => {
  await Promise.all(bridges.map((b) => b.close()));
  await middleware.close();
});

function viewer(token: string, ip = '203.0.113.1', more: Partial<ViewerRequest> = {}): ViewerRequest {
  return { dialect: 'cesbo', rawQuery: `token=${token}`, token, ip, channel: 'a001', session: 's1', ...more };
}

function bridgeWith(document: Record<string, unknown>): TestBridge {
  const bridge = testBridge(document);
  bridges.push(bridge);
  return bridge;
}

describe('the immediate path of a cached hit (http middleware)', () => {
  beforeEach(async () => {
    middleware = await startReplayServer(fixturesOf('http'));
    bridges = [];
  });
  const httpBackend = (more: object = {}) => ({
    backends: { mw: { type: 'http', url: `${middleware.url}/auth/check`, ...more } },
  });

  it('answers a hit at once, as the waiting path would, and leaves a miss to the waiting path', async () => {
    const { decider } = bridgeWith(httpBackend()).bridge;
    expect(decider.decideNow!('default', viewer('good-token'))).toBeUndefined();
    const asked = await decider.decide('default', viewer('good-token'));
    expect(asked).toMatchObject({ allow: true, sessionName: 'alice', miss: 'asked', source: { by: 'backend:mw' } });

    const now = decider.decideNow!('default', viewer('good-token'));
    const waited = await decider.decide('default', viewer('good-token'));
    expect(now).toMatchObject({ allow: true, sessionName: 'alice', cache: 'hit', source: { by: 'backend:mw' } });
    expect(now).toEqual(waited);
    // One source per backend, shared by every decision it makes.
    expect(now!.source).toBe(asked.source);
    expect(middleware.received).toHaveLength(1);
  });

  it('answers a cached deny at once too, with its redirect', async () => {
    const { decider } = bridgeWith({ ...httpBackend(), routes: { default: { backends: ['mw'] } } }).bridge;
    await decider.decide('default', viewer('bad-token'));
    expect(decider.decideNow!('default', viewer('bad-token'))).toMatchObject({ allow: false, cache: 'hit' });
  });

  it('decides IP rules at once, without the store or the middleware', async () => {
    const { decider } = bridgeWith({ ...httpBackend(), ipRules: ['deny 198.51.100.66'] }).bridge;
    expect(decider.decideNow!('default', viewer('good-token', '198.51.100.66'))).toMatchObject({
      allow: false,
      source: { kind: 'policy', policy: 'ip-rule', by: 'ip-rule (deny 198.51.100.66)' },
    });
    expect(middleware.received).toHaveLength(0);
  });

  it('refuses a bound token from another IP at once, and lets the bound IP in from the cache', async () => {
    const { decider } = bridgeWith(httpBackend({ bindTokenToIp: true })).bridge;
    await decider.decide('default', viewer('good-token', '203.0.113.1'));
    expect(decider.decideNow!('default', viewer('good-token', '203.0.113.1'))).toMatchObject({ cache: 'hit' });
    expect(decider.decideNow!('default', viewer('good-token', '203.0.113.2'))).toMatchObject({
      allow: false,
      source: { by: 'token-binding' },
    });
  });

  it('answers a cached viewer and the token of a local user at once where local users are configured', async () => {
    const { decider } = bridgeWith({
      ...httpBackend(),
      users: [{ login: 'local', token: 'local-token' }],
    }).bridge;
    await decider.decide('default', viewer('good-token'));
    expect(decider.decideNow!('default', viewer('good-token'))).toMatchObject({ allow: true, cache: 'hit' });
    const local = { allow: true, source: { kind: 'policy', policy: 'user', subject: 'local', by: 'user:local' } };
    expect(decider.decideNow!('default', viewer('local-token'))).toMatchObject(local);
    expect(await decider.decide('default', viewer('local-token'))).toMatchObject(local);
  });

  it('leaves a viewer whose hashed password is not checked yet to the waiting path (the hash takes the thread pool)', async () => {
    const { decider } = bridgeWith({
      ...httpBackend(),
      users: [{ login: 'local', password: bcrypt.hashSync('local-secret', 4) }],
    }).bridge;
    const withPassword = { ...viewer('good-token'), credentials: { login: 'local', password: 'local-secret' } };
    expect(decider.decideNow!('default', withPassword)).toBeUndefined();
    expect(await decider.decide('default', withPassword)).toMatchObject({ allow: true, source: { by: 'user:local' } });
    expect(decider.decideNow!('default', withPassword)).toMatchObject({ allow: true, source: { by: 'user:local' } });
  });
});

describe('the immediate path with a connection limit (Ministra)', () => {
  const TOKEN = '6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7';
  beforeEach(async () => {
    middleware = await startReplayServer(fixturesOf('ministra'));
    bridges = [];
  });

  it('counts the session of a cached allow at once in the memory store', async () => {
    const { decider } = bridgeWith({
      backends: { mw: { type: 'ministra', url: `${middleware.url}/stalker_portal`, bindTokenToIp: false } },
      // A key without the session id, so that a new session of the token is a hit.
      cache: { key: ['token', 'ip', 'channel'] },
    }).bridge;
    const first = await decider.decide('default', viewer(TOKEN, '203.0.113.1', { session: 's1' }));
    expect(first.answer).toMatchObject({ userId: '1042', maxSessions: 10, unique: true });
    // X-Unique: the newest session replaces the older ones, so every new one gets in.
    const again = decider.decideNow!('default', viewer(TOKEN, '203.0.113.1', { session: 's2' }));
    expect(again).toMatchObject({ allow: true, cache: 'hit', answer: { userId: '1042' } });
    expect(middleware.received).toHaveLength(1);
  });
});
