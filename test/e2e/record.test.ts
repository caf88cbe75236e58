import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, killLeftoverServers, runCli, runCliInProcess, startServe } from '../support/cli.js';
import { startReplayServer, type ReplayServer } from '../support/replayServer.js';
import { fixturesOf } from '../support/replayedMiddleware.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const work = mkdtempSync(join(tmpdir(), 'bridge-record-'));
const replays = new Set<ChildProcess>();
let ministra: ReplayServer;
let check: ReplayServer;

beforeAll(async () => {
  ministra = await startReplayServer(fixturesOf('ministra'));
  check = await startReplayServer(fixturesOf('http'));
});
afterAll(async () => {
  killLeftoverServers();
  for (const child of replays) if (child.exitCode === null) child.kill('SIGKILL');
  await ministra.close();
  await check.close();
});

const CONFIG = `listen: 127.0.0.1:0
stats: {store: off}
cache: {enabled: false}
backends:
  portal: {type: ministra, url: "\${MINISTRA_URL}/stalker_portal", timeoutMs: 500}
  check: {type: http, url: "\${CHECK_URL}/auth/check", timeoutMs: 500}
routes:
  portal: {backends: [portal], denyRedirect: "http://promo.example.com/portal"}
  check: {backends: [check]}
`;

const MINISTRA_TOKENS = {
  allow: '6f1e0c9a4b2d47e8a3c5f7b9d1e3a5c7',
  deny: '0b8d6f4e2c1a39578e6d4c2b0a9f8e7d',
  redirect: '3c9e7a5b1d0f48266a4c2e0f8d6b4a29',
  serverError: '5e3c1a9f7d5b43218f6e4d2c0b9a8f7e',
  hang: 'e2f4a6c8e0b2d4f6a8c0e1f3a5c7e9b1',
};
const CHECK_TOKENS = ['good-token', 'bad-token', 'expired-token', 'blocked-token', 'crash-token', 'userid-token'];

const astra = {
  'X-Real-IP': '203.0.113.7',
  'X-Real-Path': '/play/a001/index.m3u8',
  'X-Session-ID': '1001',
  'X-Channel-ID': 'a001',
};

/** The same viewers, in both caller dialects, each time. */
const VIEWERS: ReadonlyArray<readonly [string, Record<string, string>]> = [
  ...Object.values(MINISTRA_TOKENS).map((token) => [`/auth/portal?token=${token}`, astra] as const),
  [`/flussonic/portal?name=a001&ip=203.0.113.7&token=${MINISTRA_TOKENS.allow}&proto=hls&session_id=s1`, {}],
  ['/auth/portal', astra],
  ...CHECK_TOKENS.map((token) => [`/auth/check?token=${token}&lang=en`, astra] as const),
  ['/flussonic/check?name=a001&ip=203.0.113.7&token=userid-token&session_id=s2', {}],
];

const ANSWER_HEADERS = ['x-session-name', 'x-location', 'x-authduration', 'x-userid', 'x-max-sessions', 'x-unique'];

async function decisions(bridgeUrl: string): Promise<unknown[]> {
  const answers = [];
  for (const [path, headers] of VIEWERS) {
    const res = await fetch(`${bridgeUrl}${path}`, { headers });
    answers.push({
      path,
      status: res.status,
      ...Object.fromEntries(ANSWER_HEADERS.map((name) => [name, res.headers.get(name)])),
    });
  }
  return answers;
}

/** `replay DIR` through the real CLI; resolves with its URL once it listens. */
function startReplayCli(
  dir: string,
): Promise<{ url: string; child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'replay', dir, '--listen', '127.0.0.1:0']);
  replays.add(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /\blistening .*\burl=(\S+)/.exec(output)?.[1];
      if (url) resolve({ url, child, output: () => output, exited });
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`replay exited with ${code}:\n${output}`)));
  });
}

describe('serve --record, then replay', () => {
  it('records every middleware exchange with tokens masked, and a bridge on the replayed recording decides the same', async () => {
    const config = join(work, 'bridge.yaml');
    writeFileSync(config, CONFIG);
    const recorded = join(work, 'recorded', 'prime-time');
    const recording = await startServe(['--config', config, '--record', recorded], {
      MINISTRA_URL: ministra.url,
      CHECK_URL: check.url,
    });
    const live = await decisions(recording.url);
    recording.child.kill('SIGTERM');
    expect(await recording.exited).toBe(0);

    expect(live).toContainEqual(expect.objectContaining({ status: 200, 'x-session-name': '1042' }));
    expect(live).toContainEqual(
      expect.objectContaining({ status: 403, 'x-location': 'http://promo.example.com/renew' }),
    );
    const files = readdirSync(recorded);
    // The viewer without a token is denied without asking Ministra, so there is nothing to record for it.
    expect(files).toHaveLength(VIEWERS.length - 1);
    const everything = files.map((file) => readFileSync(join(recorded, file), 'utf8')).join('\n');
    for (const token of [...Object.values(MINISTRA_TOKENS), ...CHECK_TOKENS]) expect(everything).not.toContain(token);

    const replay = await startReplayCli(recorded);
    const replaying = await startServe(['--config', config], { MINISTRA_URL: replay.url, CHECK_URL: replay.url });
    expect(await decisions(replaying.url)).toEqual(live);

    const unknown = await fetch(`${replaying.url}/auth/check?token=never-recorded`, { headers: astra });
    expect(unknown.status).toBe(403);
    replaying.child.kill('SIGTERM');
    replay.child.kill('SIGINT');
    expect(await replaying.exited).toBe(0);
    expect(await replay.exited).toBe(0);
    expect(replay.output()).toMatch(
      /replayed method=GET path=\/stalker_portal\/server\/api\/chk_flussonic_tmp_link\.php fixture=\S+-200\.json answer=200/,
    );
    // The nearest recording named, and what differs by name alone (its value, a token, is not printed).
    expect(replay.output()).toMatch(
      /no fixture matches method=GET path=\/auth\/check params=token nearest=\S+\.json differs=query\.token\S* answer=500/,
    );
    expect(replay.output()).not.toContain('never-recorded');
  });
});

describe('CLI errors', () => {
  it('refuses a --record folder it cannot create, with exit 1 naming it', async () => {
    const blocker = join(work, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const config = join(work, 'plain.yaml');
    writeFileSync(config, 'listen: 127.0.0.1:0\nstats: {store: off}\n');
    // Three serve starts side by side: none depends on another.
    const [result, underProc, proc] = await Promise.all(
      [join(blocker, 'recorded'), '/proc/no-such-folder/recorded', '/proc'].map((folder) =>
        runCli(['serve', '--config', config, '--record', folder]),
      ),
    );
    expect(result!.code).toBe(1);
    expect(result!.stderr).toContain(`cannot record to ${join(blocker, 'recorded')} (--record): ENOTDIR`);
    // Node's recursive mkdir would never return here.
    expect(underProc!.code).toBe(1);
    expect(underProc!.stderr).toContain('cannot record to /proc/no-such-folder/recorded (--record): ENOENT');
    // /proc itself looks writable to root, yet takes no files.
    expect(proc!.code).toBe(1);
    expect(proc!.stderr).toContain('cannot record to /proc (--record)');
  });

  it('refuses an invalid fixture folder with exit 1 naming the file and key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bad-fixtures-'));
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ request: { path: '/c' }, response: {} }));
    writeFileSync(
      join(dir, 'typo.json'),
      JSON.stringify({ request: { path: '/c', query: { token: { sha: 'x' } } }, response: {} }),
    );
    const [result, missing] = await Promise.all([runCli(['replay', dir]), runCli(['replay', join(dir, 'missing')])]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(dir, 'typo.json')}: request.query.token:`);
    expect(result.stderr).not.toContain('    at ');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read the fixture folder (ENOENT)');
  });

  // What the command line answers, in this process: the exit code reaching the process is shown in cli.test.ts.
  it('answers usage mistakes with exit 2', async () => {
    const dir = join(fixtures, 'http');
    const mistakes = [
      ['replay'],
      ['replay', dir, 'extra'],
      ['replay', dir, '--listen', 'nowhere'],
      ['replay', dir, '--listen', ''],
      ['check-config', '--record', work],
      ['serve', '--record', ''],
      ['serve', '--listen', '127.0.0.1:1'],
    ];
    const [replayHelp, serveHelp, ...results] = await Promise.all(
      [['replay', '--help'], ['serve', '--help'], ...mistakes].map((args) => runCliInProcess(args)),
    );
    expect(results.map((result, at) => ({ args: mistakes[at], code: result!.code }))).toEqual(
      mistakes.map((args) => ({ args, code: 2 })),
    );
    expect(replayHelp!.stdout).toContain('Usage: iptv-auth-bridge replay [options] <dir>');
    expect(replayHelp!.stdout).toContain('--listen <host:port>');
    expect(serveHelp!.stdout).toContain('--record <dir>');
  });
});
