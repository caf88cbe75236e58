import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCommandLine } from '../../src/commands/commandLine.js';
import { runCliInProcess } from '../support/cli.js';

// What the command line answers, in this process; test/e2e/cli.test.ts shows the same answers reaching the process.
describe('command line', () => {
  it('answers a usage error with exit 2 and a plain message', async () => {
    const [flag, noFile, record, noDir, listen] = await Promise.all(
      [
        ['serve', '--no-such-flag'],
        ['check-config', '--config', ''],
        ['check-config', '--record', 'x'],
        ['replay'],
        ['replay', 'x', '--listen', 'somewhere'],
      ].map((args) => runCliInProcess(args)),
    );
    expect(flag!.code).toBe(2);
    expect(flag!.stderr).toMatch(/^error: unknown option '--no-such-flag'/);
    expect(noFile!.stderr).toBe('error: --config needs a file name\n');
    expect(record!.code).toBe(2);
    expect(noDir!.stderr).toMatch(/^error: missing required argument 'dir'/);
    expect(listen!.code).toBe(2);
  });

  it('refuses an option where --record wants its folder, naming it, not the file after it as an extra argument', async () => {
    const answer = await runCliInProcess(['serve', '--record', '-c', 'bridge.yaml']);
    expect(answer.code).toBe(2);
    expect(answer.stderr.split('\n')[0]).toBe(
      "error: option '--record <dir>' argument '-c' is invalid. expected a folder, not the option -c",
    );
  });

  it('refuses an option given twice with exit 2, rather than keeping the last one', async () => {
    const answers = await Promise.all(
      [
        ['probe', '--query', 'token=x', '--ip', '10.0.0.1', '--ip', '10.0.0.2'],
        ['check-config', '-c', 'a.yaml', '--config', 'b.yaml'],
        ['replay', 'x', '--listen', '127.0.0.1:1', '--listen', '127.0.0.1:2'],
        ['stats', '--since', '24h', '--since', '1h'],
        ['securetoken', '--secret', 's', '--ip', '10.0.0.5', '--path', '/p', '--ttl', '1h', '--ttl', '2h'],
      ].map((args) => runCliInProcess(args)),
    );
    expect(answers.map((answer) => [answer.code, answer.stderr.split('\n')[0]])).toEqual([
      [2, 'error: --ip given more than once'],
      [2, 'error: --config given more than once'],
      [2, 'error: --listen given more than once'],
      [2, '--since: given more than once'],
      [2, 'securetoken: --ttl: given more than once'],
    ]);
  });

  it('--help lists the commands; each command’s --help is its own', async () => {
    const [help, serve, replay, securetoken] = await Promise.all(
      [['--help'], ['serve', '--help'], ['replay', '--help'], ['securetoken', '--help']].map((args) =>
        runCliInProcess(args),
      ),
    );
    expect(help!.code).toBe(0);
    for (const command of ['serve', 'check-config', 'probe', 'replay', 'securetoken'])
      expect(help!.stdout).toContain(`  ${command}`);
    expect(serve!.code).toBe(0);
    expect(serve!.stdout).toMatch(/^Usage: iptv-auth-bridge serve \[options\]/);
    expect(serve!.stdout).toContain('--record <dir>');
    expect(serve!.stdout).not.toContain('check-config');
    expect(replay!.stdout).toMatch(/^Usage: iptv-auth-bridge replay \[options\] <dir>/);
    expect(securetoken!.stdout).toMatch(/^usage: iptv-auth-bridge securetoken --secret S/);
  });

  it('help <command> shows that command’s help; help of an unknown command is a usage error', async () => {
    const [known, unknown] = await Promise.all([
      runCliInProcess(['help', 'replay']),
      runCliInProcess(['help', 'bogus']),
    ]);
    expect(known).toMatchObject({ code: 0, stderr: '' });
    expect(known.stdout).toMatch(/^Usage: iptv-auth-bridge replay \[options\] <dir>/);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^Usage: iptv-auth-bridge \[options\] \[command\]/);
    expect(unknown.stderr).toMatch(/error: help names an unknown command\n$/);
  });

  it('-V prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(await runCliInProcess(['-V'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('tells the caller which command starts, before it runs', async () => {
    const started: string[] = [];
    const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
    const code = await runCommandLine(['securetoken', '--secret', 's', '--ip', '10.0.0.5', '--path', '/p'], {
      stdout: discard,
      stderr: discard,
      env: {},
      starting: (command) => started.push(command),
    });
    expect({ code, started }).toEqual({ code: 0, started: ['securetoken'] });
  });
});
