import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { checkConfigCommand } from '../../src/commands/checkConfig.js';
import { spawn } from 'node:child_process';
import {
  CLI,
  handlesSignal,
  killLeftoverServers,
  runCli,
  runCliInProcess,
  runInProcess,
  startServe,
} from '../support/cli.js';
import { useReplayedMiddleware } from '../support/replayedMiddleware.js';
import { closedPort } from '../support/replayServer.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-e2e-'));

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** `check-config --config <file>`, run in this process: these tests are about what it prints. */
const checkConfig = (file: string, env: NodeJS.ProcessEnv = {}) =>
  runInProcess((out, err) => checkConfigCommand(file, { ...process.env, ...env }, out, err));

const middleware = useReplayedMiddleware([
  {
    request: { path: '/check', query: { token: 'good-token' } },
    response: { status: 200, headers: { 'X-Session-Name': 'alice' } },
  },
  {
    request: { path: '/check', query: { token: 'slow-token' } },
    response: { status: 200, delayMs: 500, headers: { 'X-Session-Name': 'slow' } },
  },
  { request: { path: '/check' }, response: { status: 403, headers: { 'X-Location': 'http://promo.example.com/' } } },
]);
afterAll(() => {
  killLeftoverServers();
});

describe('serve', () => {
  it('serves decisions from a config file and stops gracefully on SIGTERM with exit 0', async () => {
    const config = writeConfig(
      'serve.yaml',
      `listen: 127.0.0.1:0\nstats: {store: off}\nbackends:\n  mw: {type: http, url: "\${MW_URL}/check", timeoutMs: 2000}\n`,
    );
    const bridge = await startServe(['--config', config], { MW_URL: middleware.url });

    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
    const allowed = await fetch(`${bridge.url}/auth?token=good-token`, { headers: { 'X-Real-IP': '203.0.113.7' } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('x-session-name')).toBe('alice');
    const denied = await fetch(`${bridge.url}/flussonic?name=a001&token=bad-token`);
    expect(denied.status).toBe(403);
    expect(denied.headers.get('x-location')).toBe('http://promo.example.com/');

    const asked = middleware.nextRequest();
    const inFlight = fetch(`${bridge.url}/auth?token=slow-token`);
    await asked;
    bridge.child.kill('SIGTERM');
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(await bridge.exited).toBe(0);
    expect(bridge.output()).toContain('"message":"stopped"');
    expect(bridge.output()).not.toContain('good-token');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops with exit 0 on a %s that comes while it starts, once it can',
    async (signal) => {
      const config = writeConfig(`early-${signal}.yaml`, 'listen: 127.0.0.1:0\nstats: {store: off}\n');
      const child = spawn(process.execPath, [CLI, 'serve', '--config', config]);
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<[number | null, string | null]>((resolve) =>
        child.on('close', (code, killedBy) => resolve([code, killedBy])),
      );
      // Its own code runs (the SIGHUP handler comes first) and serve is still loading: unheard, the signal ended it.
      await vi.waitFor(() => expect(handlesSignal(child.pid!, 'SIGHUP')).toBe(true), { timeout: 15_000, interval: 5 });
      child.kill(signal);

      expect(await exited).toEqual([0, null]);
      expect(output).toContain(`"signal":"${signal}"`);
      expect(output).toContain('"message":"stopped"');
    },
  );

  it('stops on SIGINT with exit 0, text log format', async () => {
    const config = writeConfig(
      'text.yaml',
      'listen: 127.0.0.1:0\nstats: {store: off}\nlog: {format: text, level: info}\n',
    );
    const bridge = await startServe(['--config', config]);
    const res = await fetch(`${bridge.url}/auth?token=x`);
    expect(res.status).toBe(403);
    bridge.child.kill('SIGINT');
    expect(await bridge.exited).toBe(0);
    expect(bridge.output()).toMatch(/info decision .*decision=deny/);
  });

  it('keeps answering when whatever reads its log goes away', async () => {
    const config = writeConfig('pipe.yaml', 'listen: 127.0.0.1:0\nstats: {store: off}\n');
    const bridge = await startServe(['--config', config]);
    bridge.child.stdout!.destroy();
    for (let i = 0; i < 5; i++) {
      expect((await fetch(`${bridge.url}/auth?token=x`)).status).toBe(403);
    }
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
  });

  it('refuses to start on a bad config, naming the key', async () => {
    const config = writeConfig('bad.yaml', 'backends:\n  portal: {type: stalker, url: "http://mw"}\n');
    const result = await runCli(['serve', '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('backends.portal.type: expected one of http|flussonic');
  });

  it.each([
    ['memory', ''],
    // Its client keeps trying to connect: the process must not stay alive on it, listening nowhere.
    ['redis (unreachable)', 'cache: {store: redis, redisUrl: "redis://127.0.0.1:REDIS_PORT/0"}\n'],
  ])('says so and exits 1 when the port is taken, on the %s store', async (_store, cache) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    const text = `listen: 127.0.0.1:${port}\nstats: {store: off}\n${cache.replace('REDIS_PORT', String(await closedPort()))}`;
    const config = writeConfig(`taken-${port}.yaml`, text);
    const result = await runCli(['serve', '--config', config]);
    blocker.close();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${port} (listen in ${config}): EADDRINUSE`);
  });
});

describe('check-config', () => {
  it('prints the effective config with secrets masked', async () => {
    const config = writeConfig(
      'secrets.yaml',
      'backends:\n  mw: {type: http, url: "http://admin:${MW_PASSWORD}@mw.local/check?key=k3y-value&site=5"}\n',
    );
    const result = await checkConfig(config, { MW_PASSWORD: 'hunter2' });
    const fromEnv = writeConfig(
      'env-secret.yaml',
      'backends:\n  mw: {type: http, url: "http://mw.local/${MW_PATH_SECRET}/check"}\n',
    );
    const scrubbed = await checkConfig(fromEnv, { MW_PATH_SECRET: 'p4th-s3cret' });
    expect(scrubbed.stdout).toContain('http://mw.local/***/check');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('valid');
    expect(result.stdout).toContain('timeoutMs: 2000');
    expect(result.stdout).toContain('mode: any');
    expect(result.stdout).toContain('site=5');
    expect(result.stdout).not.toMatch(/hunter2|k3y-value/);
  });

  it('exits 1 and lists every problem with its key', async () => {
    const config = writeConfig('problems.yaml', 'listen: nowhere\nlog: {level: loud}\nextra: 1\n');
    const result = await runCliInProcess(['check-config', '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('listen: expected host:port');
    expect(result.stderr).toContain('log.level: expected one of error|warn|info|debug');
    expect(result.stderr).toContain('extra: unknown key');
  });

  it('prints a config that loads back as it is', async () => {
    const config = writeConfig(
      'roundtrip.yaml',
      'ipRules: [allow 127.0.0.1, "deny 10.0.0.0/8", pass ::1]\nlisten: 9000\n',
    );
    const printed = await checkConfig(config);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('- deny 10.0.0.0/8');
    const again = await checkConfig(writeConfig('printed.yaml', printed.stdout));
    expect(again.code).toBe(0);
    expect(again.stdout.split('\n').slice(1)).toEqual(printed.stdout.split('\n').slice(1));
  });

  it('refuses a device instead of reading it forever, as config and as usersFile', async () => {
    const device = await checkConfig('/dev/zero');
    expect(device.code).toBe(1);
    expect(device.stderr).toContain('cannot read (not a regular file)');
    const users = await checkConfig(writeConfig('users-device.yaml', 'usersFile: /dev/zero\n'));
    expect(users.code).toBe(1);
    expect(users.stderr).toContain('cannot read (not a regular file)');
  });

  it('reads the usersFile as serve would, and exits 1 when it is missing or invalid', async () => {
    const missing = await checkConfig(writeConfig('users-missing.yaml', `usersFile: ${join(dir, 'absent.yaml')}\n`));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read (ENOENT)');
    writeFileSync(join(dir, 'bad-users.yaml'), 'users:\n  - {login: ann, password: pw, ip: not-an-ip}\n');
    const invalid = await checkConfig(writeConfig('users-bad.yaml', `usersFile: ${join(dir, 'bad-users.yaml')}\n`));
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('users[0].ip');
  });

  it('without --config uses ./bridge.yaml, else the shipped example', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'bridge-cwd-'));
    const example = await runCli(['check-config'], { cwd: empty });
    expect(example.code).toBe(0);
    expect(example.stdout).toMatch(/config[/\\]example\.yaml: valid/);
    expect(example.stdout).toContain('listen: 127.0.0.1:8088');

    writeFileSync(join(empty, 'bridge.yaml'), 'listen: 127.0.0.1:9999\n');
    const local = await runCli(['check-config'], { cwd: empty });
    expect(local.stdout).toContain('# bridge.yaml: valid');
    expect(local.stdout).toContain('listen: 127.0.0.1:9999');
  });

  it('lists every problem of the file and of its users file in one run', async () => {
    const users = join(dir, 'many-users.yaml');
    writeFileSync(users, 'users:\n  - {login: bob, password: pw, ip: not-an-ip}\n');
    const config = writeConfig(
      'many.yaml',
      [
        'listen: nowhere',
        `usersFile: ${users}`,
        'backends:',
        '  mw: {type: http, url: "${MW_URL}"}',
        '  other: {type: http, url: "mw.local/check"}',
        'routes: {default: {backends: [mw, ghost], mode: random}}',
        '',
      ].join('\n'),
    );
    const result = await checkConfig(config);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('  - '))).toEqual([
      '  - backends.mw.url: environment variable MW_URL is not set',
      '  - listen: expected host:port with an IP address, e.g. 127.0.0.1:8088 or [::1]:8088',
      '  - backends.other.url: expected an http:// or https:// URL',
      '  - routes.default.mode: expected one of any|sequential',
      '  - routes.default.backends[1]: unknown backend "ghost" (defined: mw, other)',
      `  - usersFile (${users}): users[0].ip: expected an IP address or CIDR such as 10.0.0.0/8 or ::1/128`,
    ]);
  });

  it('warns about likely mistakes on stderr and still exits 0', async () => {
    const config = writeConfig(
      'warn.yaml',
      'cache: {maxTtl: 3600}\nbackends:\n  portal: {type: ministra, url: "http://mw/stalker_portal", timeoutMs: 8000}\nroutes: {default: {backends: [portal], timeoutMs: 5000}}\n',
    );
    const result = await checkConfig(config);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^# .*warn\.yaml: valid \(2 warnings on stderr\)\n/);
    expect(result.stderr).toContain(
      'warning: backends.portal.timeoutMs (8000) is above routes.default.timeoutMs (5000)',
    );
    expect(result.stderr).toContain(
      'warning: cache.maxTtl (3600) is below the X-AuthDuration of 36000 that backends.portal (ministra) grants',
    );
  });
});

describe('command line, as the process answers it', () => {
  it('exits 2 on a usage error, with a plain message', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown command 'frobnicate'/);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(await runCli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('options without a command go to serve, as before', async () => {
    const result = await runCli(['--config', join(dir, 'absent.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot read (ENOENT)');
  });
});
