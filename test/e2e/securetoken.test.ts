import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securetokenCommand } from '../../src/commands/securetoken.js';
import {
  killLeftoverServers,
  runCli,
  runCliInProcess,
  runInProcess,
  startServe,
  type Serving,
} from '../support/cli.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-securetoken-'));
const SECRET = 'e2e-s3cret-value';

function writeFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/**
 * The token the `securetoken` command prints, run in this process with SECURETOKEN set: these uses are about
 * the token. Exit codes and help go through the command line (in this process too); Alta's example through
 * the real CLI.
 */
async function tokenFromCli(args: string[]): Promise<string> {
  const result = await runInProcess((out, err) => securetokenCommand(args, { SECURETOKEN: SECRET }, out, err));
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout.trim();
}

afterAll(() => killLeftoverServers());

describe('securetoken command', () => {
  it('prints the token of Alta’s published example', async () => {
    const result = await runCli([
      'securetoken',
      '--secret',
      'secret',
      '--ip',
      '192.168.88.98',
      '--path',
      '/tv/travel-channel/index.m3u8',
      '--start',
      '1669810000',
      '--ttl',
      '80000s',
      '--salt',
      'a5cd6c00',
    ]);
    expect(result).toMatchObject({
      code: 0,
      stdout: 'e8bff06f373694dda657e8417fe76f6b54b69807-a5cd6c00-1669890000-1669810000\n',
    });
  });

  it('--ttl sets the end; the hash is sha1(channel, ip, start, end, secret, salt) with SECURETOKEN as the secret', async () => {
    const token = await tokenFromCli(['--ip', '10.0.0.5', '--channel', 'a001', '--start', '1700000000', '--ttl', '2d']);
    const [hash, salt, end, start] = token.split('-');
    expect([start, end]).toEqual(['1700000000', '1700172800']);
    expect(salt).toMatch(/^[0-9a-f]{8}$/);
    expect(hash).toBe(createHash('sha1').update(`a00110.0.0.5${start}${end}${SECRET}${salt}`).digest('hex'));
  });

  it('--secret wins over SECURETOKEN; each token gets a fresh salt', async () => {
    const args = ['--ip', '10.0.0.5', '--path', '/p', '--start', '1700000000'];
    const a = await tokenFromCli(args);
    const b = await tokenFromCli(args);
    expect(a.split('-')[1]).not.toBe(b.split('-')[1]);
    const [hash, salt, end, start] = (await tokenFromCli([...args, '--secret', 'given'])).split('-');
    expect(hash).toBe(createHash('sha1').update(`/p10.0.0.5${start}${end}given${salt}`).digest('hex'));
  });

  it.each([
    [['--ip', '10.0.0.5', '--path', '/p'], '--secret is required (or set SECURETOKEN)'],
    [['--secret', 's', '--ip', '10.0.0.5', '--path', '/p', '--frobnicate'], "Unknown option '--frobnicate'"],
  ])('%j exits 2 naming the option', async (args, message) => {
    const result = await runCliInProcess(['securetoken', ...args], { SECURETOKEN: undefined });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });

  it('refuses a --ttl the bridge would refuse (over securetoken.maxLifetime) with a usage error', async () => {
    const result = await runCliInProcess([
      'securetoken',
      '--secret',
      's',
      '--ip',
      '10.0.0.5',
      '--path',
      '/p',
      '--ttl',
      '3d',
    ]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--ttl: 3d is longer than the bridge accepts (--max-lifetime 2d');
  });

  it('prints its own help', async () => {
    const result = await runCliInProcess(['securetoken', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--ttl D');
  });
});

describe('tokens from the CLI through a served bridge', () => {
  let middleware: ReplayServer;
  let alta: Serving;
  let astra: Serving;

  beforeAll(async () => {
    middleware = await startReplayServer([
      {
        request: { path: '/check', query: { token: 'mw-token' } },
        response: { status: 200, headers: { 'X-Session-Name': 'from-mw' } },
      },
      { request: { path: '/check' }, response: { status: 403 } },
    ]);
    const usersFile = writeFile(
      'users.yaml',
      'users:\n  - {login: filmfan, password: "pa55", packages: [basic], maxConnections: 1}\n',
    );
    const altaConfig = writeFile(
      'alta.yaml',
      [
        'listen: 127.0.0.1:0',
        'stats: {store: off}',
        'ipRules: [deny 192.0.2.66, allow 192.0.2.10]',
        'securetoken: {secret: "${SECURETOKEN}", hash: path}',
        `usersFile: ${usersFile}`,
        'packages: {basic: [travel-channel]}',
        'backends: {mw: {type: http, url: "${MW_URL}/check"}}',
        'routes: {default: {backends: [mw], denyRedirect: "http://promo.example.com/"}}',
      ].join('\n'),
    );
    alta = await startServe(['--config', altaConfig], { SECURETOKEN: SECRET, MW_URL: middleware.url });
    astra = await startServe(
      [
        '--config',
        writeFile(
          'astra.yaml',
          'listen: 127.0.0.1:0\nstats: {store: off}\nsecuretoken: {secret: "${SECURETOKEN}", hash: channel}\n',
        ),
      ],
      {
        SECURETOKEN: SECRET,
      },
    );
  });
  afterAll(async () => {
    for (const served of [alta, astra]) {
      served?.child.kill('SIGTERM');
      await served?.exited;
    }
    await middleware.close();
  });

  const altaAsks = (query: string, ip: string, path = '/tv/travel-channel/index.m3u8', session = '1') =>
    fetch(`${alta.url}/auth?${query}`, { headers: { 'X-Real-IP': ip, 'X-Real-Path': path, 'X-Session-ID': session } });

  it('a token printed for a path and IP is allowed there, without asking the middleware, and nowhere else', async () => {
    const token = await tokenFromCli(['--ip', '192.0.2.44', '--path', '/tv/travel-channel/index.m3u8', '--ttl', '15m']);
    const asked = middleware.received.length;
    expect((await altaAsks(`token=${token}`, '192.0.2.44')).status).toBe(200);
    expect((await altaAsks(`token=${token}`, '192.0.2.45')).status).toBe(403);
    expect((await altaAsks(`token=${token}`, '192.0.2.44', '/tv/other/index.m3u8')).status).toBe(403);
    expect(middleware.received.length).toBe(asked);
  });

  it('a token whose time is up, or not yet come, is denied with the redirect', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await tokenFromCli([
      '--ip',
      '192.0.2.44',
      '--path',
      '/tv/travel-channel/index.m3u8',
      '--start',
      String(now - 7200),
      '--ttl',
      '1h',
    ]);
    const future = await tokenFromCli([
      '--ip',
      '192.0.2.44',
      '--path',
      '/tv/travel-channel/index.m3u8',
      '--start',
      String(now + 3600),
    ]);
    for (const token of [expired, future]) {
      const res = await altaAsks(`token=${token}`, '192.0.2.44');
      expect(res.status).toBe(403);
      expect(res.headers.get('x-location')).toBe('http://promo.example.com/');
    }
  });

  it('a link is not revived or moved to another IP by moving digits between its parts (issue 13)', async () => {
    const path = '/tv/travel-channel/index.m3u8';
    const now = Math.floor(Date.now() / 1000);
    // Ten days gone; a start that ends in a non-zero digit, which the forgery moves to the front of the end.
    const start = String(now - 10 * 86_400 - 3 * 3600).replace(/\d$/, '7');
    const expired = await tokenFromCli(['--ip', '192.0.2.44', '--path', path, '--start', start, '--ttl', '3h']);
    const [hash, salt, end] = expired.split('-') as [string, string, string];
    const revived = `${hash}-${salt}-${start.slice(-1)}${end}-${start.slice(0, -1)}`;
    const revivedAnswer = await altaAsks(`token=${revived}`, '192.0.2.44');
    expect([revivedAnswer.status, revivedAnswer.headers.get('x-location')]).toEqual([403, 'http://promo.example.com/']);

    const current = await tokenFromCli(['--ip', '192.0.2.4', '--path', path, '--ttl', '1h']);
    const [, , currentEnd, currentStart] = current.split('-') as [string, string, string, string];
    const moved = current.replace(`-${currentEnd}-${currentStart}`, `-${currentEnd}-${currentStart.slice(1)}`);
    expect((await altaAsks(`token=${current}`, '192.0.2.4')).status).toBe(200);
    expect((await altaAsks(`token=${moved}`, `192.0.2.4${currentStart[0]}`)).status).toBe(403);
    expect(alta.output()).toContain('"by":"securetoken (malformed)"');
  });

  it('the decision order of the README holds: IP deny beats a valid token, IP allow needs none, local users, then the middleware', async () => {
    const token = await tokenFromCli(['--ip', '192.0.2.66', '--path', '/tv/travel-channel/index.m3u8']);
    expect((await altaAsks(`token=${token}`, '192.0.2.66')).status).toBe(403);
    expect((await altaAsks('', '192.0.2.10')).status).toBe(200);
    const local = await altaAsks('auth=filmfan:pa55', '192.0.2.50', '/tv/travel-channel/index.m3u8', 'tv-1');
    expect([local.status, local.headers.get('x-session-name')]).toEqual([200, 'filmfan']);
    expect((await altaAsks('auth=filmfan:pa55', '192.0.2.50', '/tv/travel-channel/index.m3u8', 'tv-2')).status).toBe(
      403,
    );
    expect((await altaAsks('auth=filmfan:pa55', '192.0.2.50', '/tv/news/index.m3u8', 'tv-1')).status).toBe(403);
    const fromMiddleware = await altaAsks('token=mw-token', '192.0.2.50');
    expect([fromMiddleware.status, fromMiddleware.headers.get('x-session-name')]).toEqual([200, 'from-mw']);
  });

  it('a token printed for a channel id validates on a bridge with hash: channel (Astra and Flussonic callers)', async () => {
    const token = await tokenFromCli(['--ip', '::ffff:192.0.2.9', '--channel', 'a001']);
    const fromAstra = await fetch(`${astra.url}/auth?token=${token}`, {
      headers: { 'X-Real-IP': '192.0.2.9', 'X-Channel-ID': 'a001' },
    });
    expect(fromAstra.status).toBe(200);
    expect((await fetch(`${astra.url}/flussonic?name=a001&ip=192.0.2.9&token=${token}`)).status).toBe(200);
    expect((await fetch(`${astra.url}/flussonic?name=a002&ip=192.0.2.9&token=${token}`)).status).toBe(403);
  });

  it('never logs the secret, the password or a token', () => {
    expect(alta.output()).not.toMatch(new RegExp(`${SECRET}|pa55`));
    expect(alta.output()).toContain('"by":"securetoken"');
  });
});
