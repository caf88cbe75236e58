import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash as argon2Hash } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyText, callerFixtures } from '../support/callerFixtures.js';
import { killLeftoverServers, startServe, type Serving } from '../support/cli.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

let middleware: ReplayServer;
let bridge: Serving;

beforeAll(async () => {
  middleware = await startReplayServer(fixturesOf('http'));
  const config = join(mkdtempSync(join(tmpdir(), 'bridge-callers-')), 'bridge.yaml');
  // Hashed local users: the bundle loads the native bcrypt and argon2 addons only on the first check against such a hash.
  const users = [
    `  - {login: bee, password: "${bcrypt.hashSync('bee-pass', 4)}"}`,
    `  - {login: ari, password: "${await argon2Hash('ari-pass')}"}`,
  ];
  writeFileSync(
    config,
    `listen: 127.0.0.1:0\nstats: {store: off}\ncache: {enabled: false}\nusers:\n${users.join('\n')}\n` +
      'backends:\n  mw: {type: http, url: "${MW_URL}/auth/check"}\n',
  );
  bridge = await startServe(['--config', config], { MW_URL: middleware.url });
});
afterAll(async () => {
  bridge.child.kill('SIGTERM');
  await bridge.exited;
  killLeftoverServers();
  await middleware.close();
});

describe('serve answers every caller protocol', () => {
  it.each(callerFixtures().map((fixture) => [fixture.file, fixture] as const))('%s', async (_file, fixture) => {
    const res = await fetch(`${bridge.url}${fixture.request.path}`, {
      method: fixture.request.method,
      headers: fixture.request.headers,
      body: bodyText(fixture),
    });
    expect(res.status).toBe(fixture.expect.status);
    expect(await res.text()).toBe(fixture.expect.body);
  });

  it.each([
    ['bcrypt', 'bee', 'bee-pass'],
    ['argon2', 'ari', 'ari-pass'],
  ])('checks a local user against a %s hash, its addon loaded on first need', async (_format, login, password) => {
    const right = await fetch(`${bridge.url}/auth?auth=${login}:${password}`, {
      headers: { 'X-Real-IP': '127.0.0.1' },
    });
    expect([right.status, right.headers.get('x-session-name')]).toEqual([200, login]);
    const wrong = await fetch(`${bridge.url}/auth?auth=${login}:nope`, { headers: { 'X-Real-IP': '127.0.0.1' } });
    expect(wrong.status).toBe(403);
  });

  it('writes each decision line with the caller protocol as its dialect, never the token', () => {
    const lines = bridge
      .output()
      .split('\n')
      .filter((line) => line.includes('"message":"decision"'));
    for (const dialect of ['mediamtx', 'srs', 'nginx-rtmp', 'nginx-auth-request'])
      expect(
        lines.some((line) => line.includes(`"dialect":"${dialect}"`)),
        dialect,
      ).toBe(true);
    expect(bridge.output()).not.toContain('good-token');
  });
});
