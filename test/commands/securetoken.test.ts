import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { securetokenCommand } from '../../src/commands/securetoken.js';
import { verifySecuretoken } from '../../src/policies/securetoken.js';

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const [out, err] = [new PassThrough(), new PassThrough()];
  const code = securetokenCommand(args, env, out, err);
  return { code, stdout: String(out.read() ?? ''), stderr: String(err.read() ?? '') };
}

const base = ['--secret', 's', '--ip', '10.0.0.5', '--path', '/p'];

describe('securetoken command', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['15m', 900],
    ['3h', 10_800],
    ['2d', 172_800],
    [undefined, 10_800],
  ])('--ttl %s lasts %d seconds from --start', (ttl, seconds) => {
    const result = run([...base, '--start', '1700000000', ...(ttl === undefined ? [] : ['--ttl', ttl])]);
    expect(result.code).toBe(0);
    const [, , end, start] = result.stdout.trim().split('-');
    expect(Number(end) - Number(start)).toBe(seconds);
  });

  it.each([
    [['--ttl', '2d'], 172_800],
    [['--ttl', '3d', '--max-lifetime', '7d'], 7 * 86_400],
    [['--ttl', '90m', '--max-lifetime', '5400'], 90 * 60],
  ])('%j prints a token the bridge with that maxLifetime accepts', (args, maxLifetime) => {
    const token = run([...base, '--start', '1700000000', ...args]).stdout.trim();
    const verdict = verifySecuretoken(
      token,
      { subject: '/p', ip: '10.0.0.5' },
      { secrets: ['s'], clockSkew: 0, maxLifetime, now: 1_700_000_000 },
    );
    expect(verdict.valid).toBe(true);
  });

  it('starts now when --start is not given', () => {
    const before = Math.floor(Date.now() / 1000);
    const start = Number(run(base).stdout.trim().split('-')[3]);
    expect(start).toBeGreaterThanOrEqual(before);
    expect(start).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it('hashes the IP in the form the bridge sees it (IPv4-mapped IPv6 as IPv4, IPv6 compressed, lower case)', () => {
    for (const [given, seen] of [
      ['::ffff:10.0.0.5', '10.0.0.5'],
      ['2001:DB8:0:0::1', '2001:db8::1'],
    ]) {
      const [hash, salt, end, start] = run(['--secret', 's', '--ip', given!, '--path', '/p']).stdout.trim().split('-');
      expect(hash).toBe(createHash('sha1').update(`/p${seen}${start}${end}s${salt}`).digest('hex'));
    }
  });

  it.each<[string[], NodeJS.ProcessEnv, string]>([
    [['--ip', '10.0.0.5', '--path', '/p'], {}, '--secret is required (or set SECURETOKEN)'],
    [['--ip', '10.0.0.5', '--path', '/p'], { SECURETOKEN: '' }, '--secret is required'],
    [['--secret', 's', '--path', '/p'], {}, '--ip is required'],
    [['--secret', 's', '--ip', '10.0.0.500', '--path', '/p'], {}, '--ip: not an IP address: 10.0.0.500'],
    [['--secret', 's', '--ip', '0.0.0.0', '--path', '/p'], {}, '--ip is not an address a viewer can have: 0.0.0.0'],
    [['--secret', 's', '--ip', '224.1.1.1', '--path', '/p'], {}, '--ip is not an address a viewer can have: 224.1.1.1'],
    [['--secret', 's', '--ip', '10.0.0.5'], {}, 'give exactly one of --path'],
    [[...base, '--channel', 'a001'], {}, 'give exactly one of --path'],
    [['--secret', 's', '--ip', '10.0.0.5', '--path', ''], {}, '--path must not be empty'],
    [['--secret', 's', '--ip', '10.0.0.5', '--channel', ''], {}, '--channel must not be empty'],
    [[...base, '--ttl', '3 hours'], {}, '--ttl: expected a duration such as 90, 90s, 15m, 3h or 2d, got "3 hours"'],
    [[...base, '--ttl', '0'], {}, '--ttl: expected a duration'],
    [[...base, '--ttl=-5m'], {}, '--ttl: expected a duration'],
    [[...base, '--ttl', '-5m'], {}, "Option '--ttl' argument is ambiguous"],
    [[...base, '--ttl', '99999999999d'], {}, '--ttl: expected a duration'],
    [[...base, '--start', 'now'], {}, '--start: expected 10-digit unix seconds, got "now"'],
    [[...base, '--start', '1.5'], {}, '--start: expected 10-digit unix seconds'],
    [[...base, '--start', '170000000'], {}, '--start: expected 10-digit unix seconds, got "170000000"'],
    [[...base, '--start', '17000000000'], {}, '--start: expected 10-digit unix seconds'],
    [[...base, '--start', '9999999000', '--ttl', '2h'], {}, '--start: 9999999000 + --ttl ends past 9999999999'],
    [
      [...base, '--start', '0999999999'],
      {},
      '--start: expected 10-digit unix seconds, got "0999999999" (no leading zero',
    ],
    [
      [...base, '--ttl', '3d'],
      {},
      "--ttl: 3d is longer than the bridge accepts (--max-lifetime 2d, the bridge's securetoken.maxLifetime)",
    ],
    [
      [...base, '--ttl', '2h', '--max-lifetime', '1h'],
      {},
      '--ttl: 2h is longer than the bridge accepts (--max-lifetime 1h',
    ],
    [[...base, '--max-lifetime', '1h'], {}, '--ttl: 3h is longer than the bridge accepts (--max-lifetime 1h'],
    [
      [...base, '--max-lifetime', 'forever'],
      {},
      '--max-lifetime: expected a duration such as 90, 90s, 15m, 3h or 2d, got "forever"',
    ],
    [[...base, '--salt', 'a-b'], {}, '--salt: expected 1 to 64 letters and digits'],
    [[...base, '--ttl'], {}, "Option '--ttl <value>' argument missing"],
    [[...base, 'extra'], {}, "Unexpected argument 'extra'"],
  ])('%j → exit 2: %s', (args, env, message) => {
    const result = run(args, env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('usage: iptv-auth-bridge securetoken');
  });

  it('never prints the secret in an error', () => {
    expect(run(['--secret', 'very-secret', '--ip', 'nope', '--path', '/p']).stderr).not.toContain('very-secret');
  });
});
