import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfigFile } from '../../src/config/check.js';
import { ConfigError } from '../../src/config/document.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-check-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problemsOf(path: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    checkConfigFile(path, env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('checkConfigFile: is this config valid?', () => {
  it('answers the config and its warnings', () => {
    const path = file(
      'ok.yaml',
      'backends:\n  portal: {type: ministra, url: "http://mw/stalker_portal"}\ncache: {maxTtl: 600}\n',
    );
    const { config, warnings } = checkConfigFile(path, {});
    expect(config.backends.portal?.type).toBe('ministra');
    expect(warnings).toHaveLength(1);
  });

  it('refuses an empty file, and warns of every default: nothing there can allow a check', () => {
    expect(problemsOf(file('empty.yaml', '# bridge.yaml\n'))).toEqual([
      '(file): is empty (every default would deny every check; write {} to mean every default)',
    ]);
    expect(checkConfigFile(file('braces.yaml', '{}\n'), {}).warnings).toEqual([
      expect.stringMatching(/^routes: no route has backends .*: every check is denied/),
    ]);
  });

  it('lists the main file’s problems and the users file’s in one error', () => {
    const users = file(
      'users.yaml',
      'users:\n  - {login: bob, password: pw, ip: not-an-ip}\n  - {login: cy, token: t-1, packages: [gold]}\n',
    );
    const path = file(
      'both.yaml',
      `listen: nowhere\nusersFile: ${users}\npackages: {basic: [a001]}\nbackends: {}\nroutes: {default: {backends: [mw]}}\n`,
    );
    expect(problemsOf(path)).toEqual([
      'listen: expected host:port with an IP address, e.g. 127.0.0.1:8088 or [::1]:8088',
      'routes.default.backends[0]: unknown backend "mw" (defined: none)',
      `usersFile (${users}): users[0].ip: expected an IP address or CIDR such as 10.0.0.0/8 or ::1/128`,
      `usersFile (${users}): users[1].packages[0]: unknown package "gold" (defined: basic)`,
    ]);
  });

  it('finds clashes between the users file and the main config when the main config is valid', () => {
    const users = file('clash.yaml', '- {login: ann, token: other}\n');
    const path = file('clash-main.yaml', `usersFile: ${users}\nusers:\n  - {login: ann, password: pw}\n`);
    expect(problemsOf(path)).toEqual([`usersFile (${users}): users[0].login: "ann" is also a user in the main config`]);
  });

  it('names a users file that cannot be read', () => {
    const path = file('absent.yaml', `usersFile: ${join(dir, 'nope.yaml')}\n`);
    expect(problemsOf(path)).toEqual([`usersFile (${join(dir, 'nope.yaml')}): (file): cannot read (ENOENT)`]);
  });

  it('substitutes ${VAR} in usersFile, and a missing one is one problem', () => {
    const users = file('env-users.yaml', '[]\n');
    expect(checkConfigFile(file('env.yaml', 'usersFile: "${USERS}"\n'), { USERS: users }).config.usersFile).toBe(users);
    expect(problemsOf(file('env-missing.yaml', 'usersFile: "${USERS}"\n'))).toEqual([
      'usersFile: environment variable USERS is not set',
    ]);
  });
});

// Duplicate logins and tokens are reported in the same run as the users' schema errors.
describe('check-config: duplicates across users beside schema errors', () => {
  it('names the duplicate login and token of a user that also has a schema error', () => {
    const path = file(
      'invalid-duplicate.yaml',
      [
        'users:',
        '  - {login: ann, password: pw-1, token: tok-secret-1}',
        '  - {login: ann, password: pw-2, token: tok-secret-1, maxConnections: -1}',
        '  - {login: bob, packages: [gold, 7]}',
        '  - {login: ann}',
        '',
      ].join('\n'),
    );
    const problems = problemsOf(path);
    expect(problems).toEqual([
      'users[1].maxConnections: Too small: expected number to be >=0',
      'users[2].packages[1]: expected string, received number',
      'users[2]: a user needs a password or a token to log in with',
      'users[3]: a user needs a password or a token to log in with',
      'users[1].login: "ann" is also users[0]',
      'users[1].token: the same token as users[0]',
      'users[3].login: "ann" is also users[0]',
    ]);
    expect(problems.join('\n')).not.toContain('tok-secret-1');
  });

  it('checks logins and tokens while the packages are unreadable', () => {
    const path = file(
      'bad-packages.yaml',
      'packages: {basic: not-a-list}\nusers:\n  - {login: ann, token: t-1}\n  - {login: cy, token: t-1, packages: [basic]}\n',
    );
    expect(problemsOf(path)).toEqual([
      'packages.basic: expected array, received string',
      'users[1].token: the same token as users[0]',
    ]);
  });

  it('finds the users file clashing with the main config while a main-config user is invalid', () => {
    const users = file('clash-users.yaml', '- {login: ann, token: other}\n- {login: dee, token: main-token}\n');
    const path = file(
      'clash-invalid-main.yaml',
      `usersFile: ${users}\nusers:\n  - {login: ann, password: pw}\n  - {login: bob, password: 12, token: main-token}\n`,
    );
    expect(problemsOf(path)).toEqual([
      'users[1].password: expected string, received number',
      `usersFile (${users}): users[0].login: "ann" is also a user in the main config`,
      `usersFile (${users}): users[1].token: the same token as a user in the main config`,
    ]);
  });
});
