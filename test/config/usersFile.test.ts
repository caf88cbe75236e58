import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/config/document.js';
import { testBridge, type TestBridge } from '../support/bridge.js';
import { useReplayedMiddleware } from '../support/replayedMiddleware.js';

// The first reload in a test process starts the users file's reader thread, which first bundles the
// sources it loads: seconds on a loaded machine.
const EVENTUALLY = { timeout: 30_000, interval: 100 };
const dir = mkdtempSync(join(tmpdir(), 'bridge-users-'));
let fileCount = 0;

/** Replaces a file the way deploy tools do: write beside it, then rename over it. */
function replaceAtomically(file: string, text: string): void {
  const temporary = `${file}.${++fileCount}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function newUsersFile(text: string, extension = 'yaml'): string {
  const file = join(dir, `users-${++fileCount}.${extension}`);
  writeFileSync(file, text);
  return file;
}

const middleware = useReplayedMiddleware([{ request: { path: '/check' }, response: { status: 403 } }]);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function bridgeWith(usersFile: string, extra: Record<string, unknown> = {}): TestBridge {
  return testBridge({
    usersFile,
    packages: { basic: ['a001'] },
    backends: { mw: { type: 'http', url: `${middleware.url}/check`, timeoutMs: 1000 } },
    ...extra,
  });
}

const watch = (bridge: TestBridge, token: string, channel = 'a001') =>
  request(bridge.app)
    .get(`/auth?token=${encodeURIComponent(token)}`)
    .set({ 'X-Real-IP': '192.0.2.1', 'X-Channel-ID': channel, 'X-Session-ID': '1' });

const rejections = (bridge: TestBridge) => bridge.logs.filter((line) => line.includes('users file not reloaded'));

describe('usersFile reload', () => {
  let file: string;
  let bridge: TestBridge;
  beforeAll(() => {
    file = newUsersFile('users:\n  - {login: alice, token: alice-1, packages: [basic]}\n');
    bridge = bridgeWith(file);
  });
  afterAll(() => bridge.close());

  it('serves the users of the file, with packages of the main config', async () => {
    expect((await watch(bridge, 'alice-1').expect(200)).headers['x-session-name']).toBe('alice');
    await watch(bridge, 'alice-1', 'a002').expect(403);
  });

  it('picks up a changed file without a restart', async () => {
    writeFileSync(
      file,
      'users:\n  - {login: alice, token: alice-2}\n  - {login: bob, token: bob-1}\npackages: {sport: [s001]}\n',
    );
    await vi.waitFor(() => watch(bridge, 'bob-1').expect(200), EVENTUALLY);
    await watch(bridge, 'alice-2', 'a002').expect(200);
    const before = middleware.received.length;
    await watch(bridge, 'alice-1').expect(403);
    expect(middleware.received.length).toBe(before + 1);
    expect(
      bridge.logs.some((line) => line.includes('"message":"users file reloaded"') && line.includes('"users":2')),
    ).toBe(true);
  }, 40_000);

  it('a file that turns invalid leaves the last good users in force, and the log says why, once per change', async () => {
    const broken = 'users:\n  - {login: alice, token: alice-3, ip: 10.0.0.0/33}\n';
    writeFileSync(file, broken);
    await vi.waitFor(() => expect(rejections(bridge)).toHaveLength(1), EVENTUALLY);
    expect(rejections(bridge)[0]).toContain('users[0].ip: expected an IP address or CIDR');
    await watch(bridge, 'alice-2').expect(200);
    await watch(bridge, 'alice-3').expect(403);

    // Touched, same text: nothing new to say. Then a different mistake: said once more.
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    writeFileSync(file, 'users:\n  - {login: alice, token: alice-3\n');
    await vi.waitFor(() => expect(rejections(bridge)).toHaveLength(2), EVENTUALLY);
    expect(rejections(bridge)[1]).toContain('cannot parse');
    expect(rejections(bridge).join('\n')).not.toContain('alice-3');
    await watch(bridge, 'bob-1').expect(200);
  });

  it('valid again: the new users take over', async () => {
    replaceAtomically(file, '[{login: carol, password: "c-pass"}]\n');
    await vi.waitFor(
      () => request(bridge.app).get('/auth?auth=carol:c-pass').set({ 'X-Real-IP': '192.0.2.1' }).expect(200),
      EVENTUALLY,
    );
    await watch(bridge, 'bob-1').expect(403);
  });

  it('an emptied or deleted file keeps the last good users', async () => {
    const said = rejections(bridge).length;
    writeFileSync(file, '');
    await vi.waitFor(() => expect(rejections(bridge).length).toBe(said + 1), EVENTUALLY);
    expect(rejections(bridge).at(-1)).toContain('is empty');
    rmSync(file);
    await vi.waitFor(() => expect(rejections(bridge).length).toBe(said + 2), EVENTUALLY);
    expect(rejections(bridge).at(-1)).toContain('cannot read (ENOENT)');
    await request(bridge.app).get('/auth?auth=carol:c-pass').set({ 'X-Real-IP': '192.0.2.1' }).expect(200);
  });

  it('answers every request while the file is rewritten again and again', async () => {
    const versions = Array.from(
      { length: 20 },
      (_, i) => `users:\n  - {login: alice, token: steady}\n  - {login: v${i}, token: v${i}}\n`,
    );
    replaceAtomically(file, versions[0]!);
    await vi.waitFor(() => watch(bridge, 'steady').expect(200), EVENTUALLY);
    // Each rewrite is followed by checks while the watcher reacts to it: paced by answers, not by a timer.
    const statuses: number[] = [];
    for (const [i, text] of versions.entries()) {
      if (i % 2 === 0) replaceAtomically(file, text);
      else writeFileSync(file, text);
      for (let n = 0; n < 3; n++) statuses.push((await watch(bridge, 'steady')).status);
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([200]));
    await vi.waitFor(() => watch(bridge, 'v19').expect(200), EVENTUALLY);
  });
});

describe('usersFile at start', () => {
  it.each<[string, string, Record<string, unknown>]>([
    ['users:\n  - {login: a, token: t, ip: 10.0.0.1/40}\n', 'users[0].ip: expected an IP address or CIDR', {}],
    [
      'users:\n  - {login: a, token: t, packages: [premium]}\n',
      'users[0].packages[0]: unknown package "premium" (defined: basic)',
      {},
    ],
    ['users:\n  - {login: a, token: t}\n  - {login: b, token: t}\n', 'users[1].token: the same token as users[0]', {}],
    [
      'users:\n  - {login: main-user, token: t}\n',
      'users[0].login: "main-user" is also a user in the main config',
      { users: [{ login: 'main-user', token: 'm' }] },
    ],
    [
      'users:\n  - {login: x, token: main-token}\n',
      'users[0].token: the same token as a user in the main config',
      { users: [{ login: 'main-user', token: 'main-token' }] },
    ],
    ['packages: {basic: [a002]}\n', 'packages.basic: also defined in the main config', {}],
    ['users: []\nlisten: 9000\n', 'listen: unknown key (a users file holds users and packages)', {}],
    [
      'users:\n  - {login: anna, password:UFILE-SECRET}\n',
      'users[0].password:***: unknown key (a space missing after ":"?)',
      {},
    ],
    ['just text\n', '(top level): expected a list of users', {}],
    ['', '(file): is empty', {}],
    [
      'users:\n  - {login: a, token: "${MISSING_TOKEN_VAR}"}\n',
      'environment variable MISSING_TOKEN_VAR is not set',
      {},
    ],
  ])('refuses %j at start: %s', (text, expected, extra) => {
    const file = newUsersFile(text);
    expect(() => bridgeWith(file, extra)).toThrow(ConfigError);
    expect(() => bridgeWith(file, extra)).toThrow(expected);
  });

  it('names every problem of the file at once, a package also in the main config among them', () => {
    const file = newUsersFile(
      'packages: {basic: [a002]}\nusers:\n  - {login: a, token: t, ip: 10.0.0.1/40}\n  - {login: a, token: t, packages: [nope]}\nextra: 1\n',
    );
    const problems = (() => {
      try {
        bridgeWith(file);
      } catch (error) {
        return error instanceof ConfigError ? [...error.problems] : [String(error)];
      }
      return [];
    })();
    expect(problems).toEqual([
      'extra: unknown key (a users file holds users and packages)',
      'packages.basic: also defined in the main config',
      'users[0].ip: expected an IP address or CIDR such as 10.0.0.0/8 or ::1/128',
      'users[1].login: "a" is also users[0]',
      'users[1].token: the same token as users[0]',
      'users[1].packages[0]: unknown package "nope" (defined: basic)',
    ]);
  });

  it('refuses a missing file at start, naming it', () => {
    const missing = join(dir, 'missing.yaml');
    expect(() => bridgeWith(missing)).toThrow(`invalid configuration in ${missing}:\n  - (file): cannot read (ENOENT)`);
  });

  it('reads a JSON users file too', async () => {
    const bridge = bridgeWith(
      newUsersFile('[{"login": "j", "token": "json-token", "expires": "2999-01-01T00:00:00Z"}]', 'json'),
    );
    await watch(bridge, 'json-token').expect(200);
    await bridge.close();
  });
});
