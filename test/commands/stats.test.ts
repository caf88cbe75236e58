import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRow } from '../../src/sessions/types.js';
import { openSqlite } from '../../src/stats/sqliteStore.js';
import { statsCommand } from '../../src/commands/stats.js';
import { runCliInProcess, runInProcess } from '../support/cli.js';

const T0 = Date.UTC(2026, 0, 1, 10);
let dir: string;
let config: string;

const row = (
  id: string,
  channel: string,
  user: string,
  minutes: number,
  changes: Partial<SessionRow> = {},
): SessionRow => ({
  id,
  route: 'default',
  protocol: 'cesbo',
  caller: '127.0.0.1',
  session: id,
  user,
  channel,
  ip: '203.0.113.7',
  firstSeen: T0,
  lastSeen: T0 + minutes * 60_000,
  endedAt: T0 + minutes * 60_000,
  endReason: 'idle',
  decision: 'allow',
  by: 'backend',
  allowed: true,
  ...changes,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iab-stats-cli-'));
  config = join(dir, 'bridge.yaml');
  writeFileSync(config, `stats: {store: sqlite, path: ${join(dir, 'data', 'stats.db')}}\n`);
  const db = openSqlite(join(dir, 'data', 'stats.db'));
  await db.write([
    row('1', 'news', 'alice', 60),
    row('2', 'news', 'bob', 30),
    row('3', 'sport, live', '=cmd', 10),
    row('4', 'news', 'eve', 90, { allowed: false, decision: 'deny' }),
  ]);
  await db.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const period = ['--since', '2026-01-01', '--until', '2026-01-02'];

/** `stats` run in this process, for what it prints and answers; the last test starts the real CLI. */
const stats = (args: string[]) =>
  runInProcess((out, err) => statsCommand(args, (given) => given ?? 'bridge.yaml', out, err));

describe('iptv-auth-bridge stats', () => {
  it('--help names every option, -c/--config among them', async () => {
    const { code, stdout } = await stats(['--help']);
    expect(code).toBe(0);
    for (const option of ['-c, --config F', '--since T', '--until T', '--by G', '--format F'])
      expect(stdout).toContain(option);
  });

  it('prints a table by channel', async () => {
    const { code, stdout, stderr } = await stats(['--config', config, ...period]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        '# 2026-01-01T00:00:00.000Z .. 2026-01-02T00:00:00.000Z',
        'channel      viewers  sessions  watch time  peak',
        '-----------  -------  --------  ----------  ----',
        'news               2         2     1:30:00     2',
        'sport, live        1         1     0:10:00     1',
        '',
      ].join('\n'),
    );
  });

  it('prints CSV (quoted, spreadsheet formulas defused) and JSON', async () => {
    const csv = await stats(['--config', config, ...period, '--by', 'user', '--format', 'csv']);
    expect(csv.stdout).toBe(
      "user,viewers,sessions,watch_seconds,peak_concurrent\nalice,1,1,3600,1\nbob,1,1,1800,1\n'=cmd,1,1,600,1\n",
    );
    const json = await stats([
      ...['--config', config, '--since', '2026-01-01T03:00+03:00', '--until', '2026-01-02'],
      ...['--by', 'day', '--format', 'json'],
    ]);
    expect(JSON.parse(json.stdout)).toEqual({
      since: '2026-01-01T00:00:00.000Z',
      until: '2026-01-02T00:00:00.000Z',
      by: 'day',
      rows: [{ key: '2026-01-01', viewers: 3, sessions: 3, watchSeconds: 6000, peakConcurrent: 3 }],
    });
  });

  it("reads a config whose other sections name environment variables unset in the operator's shell", async () => {
    const withSecrets = join(dir, 'secrets.yaml');
    writeFileSync(
      withSecrets,
      [
        `stats: {store: sqlite, path: ${join(dir, 'data', 'stats.db')}}`,
        'backends: {h: {type: http, url: "http://127.0.0.1:9/check?key=${IAB_TEST_UNSET_SECRET}"}}',
        'routes: {default: {backends: [h]}}',
        '',
      ].join('\n'),
    );
    const { code, stdout, stderr } = await stats(['--config', withSecrets, ...period, '--format', 'csv']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^channel,viewers/);
    // The statistics section itself is still validated, naming its keys.
    const bad = join(dir, 'bad-path.yaml');
    writeFileSync(bad, 'stats: {store: sqlite, path: "${IAB_TEST_UNSET_SECRET}"}\nbackends: {h: {url: 5}}\n');
    const refused = await runCliInProcess(['stats', '--config', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('stats.path: environment variable IAB_TEST_UNSET_SECRET is not set');
    expect(refused.stderr).not.toContain('backends');
  });

  it('answers bad options with exit 2 and the usage, and a missing store with exit 1', async () => {
    const usage: Promise<void>[] = [];
    for (const [args, message] of [
      [['--by', 'week'], '--by: expected one of channel|user|day|route'],
      [['--format', 'xml'], '--format: expected one of table|csv|json'],
      [['--since', 'yesterday'], '--since: expected a duration back from now such as 90m, 24h or 7d'],
      [['--since', '2026-02-30'], '--since: expected a duration'],
      // A zone-less time would be read in the zone of the shell the command runs in.
      [['--until', '2026-01-01T10:00:00'], '--until: expected a duration'],
      [['--since', '1h', '--until', '2d'], '--until is before --since'],
      [['--since', '2999-01-01T00:00:00Z'], '--since is in the future (--until is now)'],
      [['--frobnicate'], "Unknown option '--frobnicate'"],
    ] as const) {
      usage.push(
        stats(['--config', config, ...args]).then(({ code, stderr }) => {
          expect(code).toBe(2);
          expect(stderr).toContain(message);
          expect(stderr).toContain('usage: iptv-auth-bridge stats');
        }),
      );
    }
    await Promise.all(usage);
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, `stats: {path: ${join(dir, 'nowhere', 'stats.db')}}\n`);
    const missing = await stats(['--config', empty]);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toContain('no statistics yet');
    const off = join(dir, 'off.yaml');
    writeFileSync(off, 'stats: {store: off}\n');
    expect((await stats(['--config', off])).stderr).toContain('statistics are off');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'stats: {store: postgres, queue: 5}\n');
    // Through the command line: the command is wired, and a config error answers exit 1.
    const invalid = await runCliInProcess(['stats', '--config', bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/stats\.queue: .*100[\s\S]*stats\.url: required when store is postgres/);
  });
});
