import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { callerRequestFor, probeCommand, type ProbeOptions } from '../../src/commands/probe.js';
import type { Trace } from '../../src/trace/trace.js';
import { runCli, runCliInProcess, runInProcess } from '../support/cli.js';
import { useReplayedMiddleware } from '../support/replayedMiddleware.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-probe-'));
const MINISTRA_ALLOW = '6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7';
const MINISTRA_DENY = '0b8d6f4e2c1a39578e6d4c2b0a9f8e7d';
const USER_PASSWORD = 'u5er-pa55';
const MW_PASSWORD = 'mw-pa55word';

const ministra = useReplayedMiddleware('ministra');
const http = useReplayedMiddleware('http');
let config: string;

beforeAll(() => {
  config = join(dir, 'bridge.yaml');
  writeFileSync(
    config,
    [
      'users:',
      `  - {login: ann, password: "${USER_PASSWORD}", packages: [basic]}`,
      'packages: {basic: [a001]}',
      'backends:',
      `  portal: {type: ministra, url: "${ministra.url}/stalker_portal"}`,
      `  billing: {type: http, url: "http://bridge:\${MW_PASSWORD}@${http.url.slice('http://'.length)}/auth/check"}`,
      'routes:',
      '  default: {backends: [portal], denyRedirect: "http://promo.example.com/ministra"}',
      '  billing: {backends: [billing]}',
      '',
    ].join('\n'),
  );
});

/** The probe's options and errors as the command line answers them, in this process. */
const probe = (...args: string[]) => runCliInProcess(['probe', '--config', config, ...args], { MW_PASSWORD });

/** The probe command itself run in this process: the command line around it (options, errors, help) below. */
const probed = (options: Omit<ProbeOptions, 'route' | 'dialect'> & Partial<ProbeOptions>) =>
  runInProcess((out) =>
    probeCommand(config, { route: 'default', dialect: 'cesbo', ...options }, { ...process.env, MW_PASSWORD }, out),
  );
const ASTRA_CHECK = { ip: '203.0.113.7', path: '/play/a001/index.m3u8', session: '1001' };

describe('probe', () => {
  it('exit 0 on allow, every step printed, the token nowhere', async () => {
    const result = await probed({ query: `token=${MINISTRA_ALLOW}`, ...ASTRA_CHECK });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^route default, cesbo caller; cache not used\n/);
    expect(result.stdout).toMatch(/1\. local-users +passed on/);
    expect(result.stdout).toMatch(/3\. token-binding +passed on/);
    expect(result.stdout).toMatch(/4\. cache +skipped/);
    expect(result.stdout).toMatch(/5\. backends +decided: allow by backend:portal/);
    expect(result.stdout).toMatch(/portal \(ministra\): allow, status 200, \d+\.\d ms/);
    expect(result.stdout).toContain(
      `sent: GET ${ministra.url}/stalker_portal/server/api/chk_flussonic_tmp_link.php?name=a001&ip=203.0.113.7&token=***&`,
    );
    expect(result.stdout).toContain(
      'headers read: x-userid=1042, x-authduration=36000, x-max-sessions=10, x-unique=true',
    );
    expect(result.stdout).toMatch(/answer: 200 allow by backend:portal/);
    expect(result.stdout + result.stderr).not.toContain(MINISTRA_ALLOW);
  });

  it('exit 1 on deny, naming the step and the backend that denied', async () => {
    const result = await probed({ query: `token=${MINISTRA_DENY}`, ...ASTRA_CHECK });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('portal (ministra): deny, status 403');
    expect(result.stdout).toMatch(
      /answer: 403 deny by backend:portal \(redirect http:\/\/promo\.example\.com\/ministra/,
    );
    expect(result.stdout + result.stderr).not.toContain(MINISTRA_DENY);
  });

  it('--json prints the trace, secrets masked: a local user’s password, the middleware’s URL password', async () => {
    const local = await probed({ json: true, query: `auth=ann:${USER_PASSWORD}`, ip: '203.0.113.7', channel: 'a002' });
    expect(local.code).toBe(1);
    const trace = JSON.parse(local.stdout) as Trace;
    expect(trace.steps.map((step) => `${step.step}:${step.result}`)).toEqual(['local-users:decided']);
    expect(trace.decision).toMatchObject({ allow: false, status: 403, by: 'user:ann (channel not in packages)' });
    expect(trace.viewer).toMatchObject({ login: 'ann', password: '***', query: 'auth=***' });
    expect(local.stdout).not.toContain(USER_PASSWORD);

    const billing = await probed({ json: true, route: 'billing', query: 'token=good-token', ...ASTRA_CHECK });
    expect(billing.code).toBe(0);
    const asked = (JSON.parse(billing.stdout) as Trace).steps.find((step) => step.step === 'backends')!.backends![0]!;
    expect(asked).toMatchObject({
      backend: 'billing',
      outcome: 'allow',
      status: 200,
      headers: { 'x-session-name': 'alice' },
    });
    expect(asked.request).toMatchObject({
      url: `${http.url}/auth/check?token=***`,
      headers: { authorization: '***', 'x-real-ip': '203.0.113.7' },
    });
    expect(String(asked.durationMs)).toMatch(/^\d+(\.\d{1,2})?$/);
    expect(billing.stdout).not.toMatch(/good-token|mw-pa55word/);
    expect(billing.stdout).not.toContain(Buffer.from(`bridge:${MW_PASSWORD}`).toString('base64'));
  });

  it('masks signed-link parameters and a token in the path by name, in the viewer: and sent: lines alike', async () => {
    const result = await probed({
      route: 'billing',
      query: 'token=good-token&md5=PMD5-SECRET&expires=1767225600&jwt=J.W.T&pin=4711',
      ...ASTRA_CHECK,
      path: '/play/a001/index.m3u8?token=PATHTOK',
    });
    const viewerLine = result.stdout.split('\n').find((line) => line.startsWith('viewer:'));
    const sentLine = result.stdout.split('\n').find((line) => line.trim().startsWith('sent:'));
    expect(viewerLine).toContain('path=/play/a001/index.m3u8?token=***');
    expect(viewerLine).toContain('query=token=***&md5=***&expires=1767225600&jwt=***&pin=***');
    expect(sentLine).toContain('/auth/check?token=***&md5=***&expires=1767225600&jwt=***&pin=***');
    expect(result.stdout).toContain('x-real-path=/play/a001/index.m3u8?token=***');
    expect(result.stdout + result.stderr).not.toMatch(/PMD5-SECRET|PATHTOK|J\.W\.T|4711|good-token/);
  });

  it('asks as a Flussonic caller with --dialect flussonic', async () => {
    const result = await probed({ dialect: 'flussonic', json: true, query: `token=${MINISTRA_ALLOW}`, ...ASTRA_CHECK });
    expect(result.code).toBe(0);
    const trace = JSON.parse(result.stdout) as Trace;
    expect(trace.dialect).toBe('flussonic');
    expect(trace.decision.headers).toMatchObject({ 'X-AuthDuration': '36000', 'X-UserId': '1042' });
    expect(result.stdout).not.toContain(MINISTRA_ALLOW);
  });

  it('exit 2 on usage errors: a missing --query, an unknown --dialect', async () => {
    const [noQuery, dialect] = await Promise.all([probe(), probe('--query', 'token=x', '--dialect', 'astra')]);
    expect(noQuery.code).toBe(2);
    expect(noQuery.stderr).toContain("required option '--query <query>' not specified");
    expect(dialect.code).toBe(2);
    expect(dialect.stderr).toContain('Allowed choices are cesbo, flussonic');
  });

  it('exit 2 on input the bridge would refuse, saying how it would answer', async () => {
    const [route, ip, encoding] = await Promise.all([
      probe('--query', 'token=x', '--route', 'nope'),
      probe('--query', 'token=x', '--ip', 'not-an-ip'),
      probe('--query', 'token=%zz'),
    ]);
    expect(route).toMatchObject({
      code: 2,
      stderr: 'probe: the check cannot be decided (404): no route named "nope" (routes: default, billing)\n',
    });
    expect(ip).toMatchObject({
      code: 2,
      stderr: 'probe: the check cannot be decided (403): X-Real-IP is not an IP address\n',
    });
    expect(encoding.code).toBe(2);
    expect(encoding.stderr).toContain('(400): broken percent-encoding');
  });

  it('exit 2 on a config error, every problem listed', async () => {
    const badConfig = join(dir, 'bad.yaml');
    writeFileSync(badConfig, 'routes: {default: {backends: [ghost]}}\nlisten: nowhere\n');
    const invalid = await runCli(['probe', '--config', badConfig, '--query', 'token=x']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('routes.default.backends[0]: unknown backend "ghost"');
    expect(invalid.stderr).toContain('listen: expected host:port');
  });

  it('probe --help prints the probe’s own help', async () => {
    const help = await runCliInProcess(['probe', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: iptv-auth-bridge probe \[options\]/);
    expect(help.stdout).toContain('--dialect <caller>');
    expect(help.stdout).toContain('Exit codes: 0 allowed, 1 denied, 2');
  });
});

describe('callerRequestFor', () => {
  const options = {
    route: 'default',
    query: 'token=abc&x=1',
    ip: '203.0.113.7',
    path: '/tv/news/index.m3u8',
    session: '9',
  };

  it('puts an Astra check’s details in X-Real-* headers', () => {
    expect(callerRequestFor({ ...options, dialect: 'cesbo', channel: 'n1' })).toEqual({
      dialect: 'cesbo',
      query: 'token=abc&x=1',
      headers: {
        'x-real-ip': '203.0.113.7',
        'x-real-path': '/tv/news/index.m3u8',
        'x-channel-id': 'n1',
        'x-session-id': '9',
      },
    });
  });

  it('puts a Flussonic check in parameters, the viewer’s query in qs, name and proto from the path', () => {
    const request = callerRequestFor({ ...options, dialect: 'flussonic', query: '?token=abc&x=1' });
    expect(Object.fromEntries(new URLSearchParams(request.query))).toEqual({
      name: 'news',
      ip: '203.0.113.7',
      proto: 'hls',
      session_id: '9',
      request_type: 'new_session',
      qs: 'token=abc&x=1',
    });
  });
});
