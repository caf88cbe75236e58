import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/load.js';
import { ConfigError } from '../src/config/document.js';
import { testBridge, type TestBridge } from './support/bridge.js';
import { useReplayedMiddleware } from './support/replayedMiddleware.js';
import { closedPort } from './support/replayServer.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-reconfigure-'));

const middleware = useReplayedMiddleware('http', { perTest: true });
let bridge: TestBridge;

afterEach(async () => {
  await bridge.close();
});

/** The bridge's config document: one Cesbo-style backend on the replayed middleware, `extra` merged in. */
function documentWith(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { backends: { mw: { type: 'http', url: `${middleware.url}/auth/check`, timeoutMs: 1000 } }, ...extra };
}

function reconfigure(document: Record<string, unknown>): Promise<void> {
  return bridge.bridge.reconfigure(validateConfig(document, 'reloaded config', {}));
}

function check(token: string, ip = '203.0.113.1') {
  return request(bridge.app).get(`/auth?token=${token}`).set('X-Real-IP', ip).set('X-Channel-ID', 'a001');
}

describe('bridge.reconfigure', () => {
  it('decides new checks with the new rules at once', async () => {
    bridge = testBridge(documentWith());
    await check('good-token', '198.51.100.9').expect(200);
    await reconfigure(documentWith({ ipRules: ['deny 198.51.100.9'] }));
    await check('good-token', '198.51.100.9').expect(403);
    await check('good-token', '203.0.113.1').expect(200);
  });

  it('lets a check already under way finish on the config it started with', async () => {
    bridge = testBridge(documentWith());
    const arrived = middleware.nextRequest();
    const inFlight = check('busy-token').then((res) => res);
    await arrived;
    // The new config has no backend: the default (deny) answers new checks.
    await reconfigure({ routes: { default: { backends: [] } } });
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(answered.headers['x-session-name']).toBe('busy');
    await check('busy-token').expect(403);
  });

  it('keeps the store: decisions cached before the reload still answer', async () => {
    bridge = testBridge(documentWith());
    await check('good-token').expect(200);
    await reconfigure(documentWith({ ipRules: ['deny 10.0.0.1'] }));
    await check('good-token').expect(200);
    expect(middleware.received).toHaveLength(1);
  });

  it('keeps the circuit of a backend whose settings did not change, and starts afresh for one that did', async () => {
    const down = {
      type: 'http',
      url: `http://127.0.0.1:${await closedPort()}/check`,
      timeoutMs: 500,
      breaker: { failures: 1, cooldown: 3600 },
    };
    bridge = testBridge({ backends: { down } });
    await check('any').expect(403);
    expect(bridge.bridge.health().backends.down).toEqual({ circuit: 'open' });
    await reconfigure({ backends: { down }, ipRules: ['deny 10.0.0.1'] });
    expect(bridge.bridge.health().backends.down).toEqual({ circuit: 'open' });
    await reconfigure({ backends: { down: { ...down, timeoutMs: 400 } } });
    expect(bridge.bridge.health().backends.down).toEqual({ circuit: 'closed' });
  });

  it('changes nothing when the new users file cannot be used', async () => {
    const users = join(dir, 'users.yaml');
    writeFileSync(users, '- {login: alice, token: alice-token}\n');
    bridge = testBridge(documentWith({ usersFile: users }));
    await check('alice-token').expect(200);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, '- {login: bob}\n');
    await expect(reconfigure(documentWith({ usersFile: broken, ipRules: ['deny 203.0.113.1'] }))).rejects.toThrow(
      ConfigError,
    );
    await check('alice-token').expect(200);
  });
});
