import { describe, expect, it } from 'vitest';
import { printableAdmin } from '../../src/config/adminSchema.js';
import { validateConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/document.js';

function problemsOf(document: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    validateConfig(document, 'bridge.yaml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('admin config', () => {
  it('is on by default, on loopback port 8089, without a token, and not explicit', () => {
    expect(validateConfig({}, 'bridge.yaml', {}).admin).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: 8089,
      explicit: false,
      token: undefined,
      hosts: [],
    });
  });

  it('turns off with listen: off', () => {
    expect(validateConfig({ admin: { listen: 'off' } }, 'bridge.yaml', {}).admin).toEqual({
      enabled: false,
      token: undefined,
      hosts: [],
    });
  });

  it('records a chosen port as explicit, even when it is the default one', () => {
    expect(validateConfig({ admin: { listen: '127.0.0.1:8089' } }, 'bridge.yaml', {}).admin).toMatchObject({
      port: 8089,
      explicit: true,
    });
    expect(validateConfig({ admin: { listen: '[::1]:9100' } }, 'bridge.yaml', {}).admin).toMatchObject({
      host: '::1',
      port: 9100,
      explicit: true,
    });
  });

  it.each(['0.0.0.0:8089', ':8089', '10.0.0.5:8089', '[::]:8089'])(
    'refuses %s without a token, naming admin.token',
    (listen) => {
      const problems = problemsOf({ admin: { listen } });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^admin\.token: required when admin\.listen is not a loopback address/);
    },
  );

  it('accepts a non-loopback listener with a token from the environment, and masks nothing it need not', () => {
    const admin = validateConfig({ admin: { listen: '0.0.0.0:8089', token: '${ADMIN_TOKEN}' } }, 'bridge.yaml', {
      ADMIN_TOKEN: 'a-long-random-admin-token',
    }).admin;
    expect(admin).toMatchObject({ enabled: true, host: '0.0.0.0', token: 'a-long-random-admin-token' });
  });

  it('keeps admin.hosts as lower-case names, and prints them back only when there are some', () => {
    const admin = validateConfig(
      { admin: { hosts: ['Bridge.Example.NET', 'ops_1.internal'] } },
      'bridge.yaml',
      {},
    ).admin;
    expect(admin.hosts).toEqual(['bridge.example.net', 'ops_1.internal']);
    expect(printableAdmin(admin)).toEqual({
      listen: '127.0.0.1:8089',
      hosts: ['bridge.example.net', 'ops_1.internal'],
    });
    expect(printableAdmin(validateConfig({}, 'bridge.yaml', {}).admin)).toEqual({ listen: '127.0.0.1:8089' });
  });

  it('refuses an admin.listen on the socket listen takes, rather than failing at start', () => {
    const taken = /^admin\.listen: the address listen already takes/;
    expect(problemsOf({ listen: '127.0.0.1:8088', admin: { listen: '127.0.0.1:8088' } })).toEqual([
      expect.stringMatching(taken),
    ]);
    expect(problemsOf({ listen: '0.0.0.0:8088', admin: { listen: '127.0.0.1:8088' } })).toEqual([
      expect.stringMatching(taken),
    ]);
    // localhost is looked up when it listens, to 127.0.0.1 or ::1: either clashes.
    for (const [decisions, admin] of [
      ['localhost:8088', '127.0.0.1:8088'],
      ['127.0.0.1:8088', 'localhost:8088'],
      ['[::1]:8088', 'localhost:8088'],
      ['localhost:8088', 'localhost:8088'],
      ['0.0.0.0:8088', 'localhost:8088'],
    ])
      expect(problemsOf({ listen: decisions, admin: { listen: admin } }), `${decisions} ${admin}`).toEqual([
        expect.stringMatching(taken),
      ]);
    // Apart: another port, another address, another family under 0.0.0.0, or a free port each.
    for (const apart of [
      { listen: '127.0.0.1:8088', admin: { listen: '127.0.0.1:8089' } },
      { listen: '127.0.0.1:8088', admin: { listen: '127.0.0.2:8088' } },
      { listen: 'localhost:8088', admin: { listen: '127.0.0.2:8088' } },
      { listen: '0.0.0.0:8088', admin: { listen: '[::1]:8088' } },
      { listen: '127.0.0.1:0', admin: { listen: '127.0.0.1:0' } },
      { listen: '127.0.0.1:8089', admin: { listen: 'off' } },
      // The default admin.listen, taken, only warns at start.
      { listen: '127.0.0.1:8089' },
    ])
      expect(problemsOf(apart)).toEqual([]);
  });

  it('treats an empty token (an unset ${ADMIN_TOKEN:-}) as none: refused off loopback', () => {
    expect(problemsOf({ admin: { listen: '0.0.0.0:8089', token: '${ADMIN_TOKEN:-}' } })[0]).toMatch(
      /^admin\.token: required/,
    );
    expect(validateConfig({ admin: { token: '${ADMIN_TOKEN:-}' } }, 'bridge.yaml', {}).admin.token).toBeUndefined();
  });

  it.each([
    [{ admin: { token: 'short' } }, /^admin\.token: at least 16 characters/],
    [{ admin: { token: 'has spaces in the admin token' } }, /^admin\.token: visible ASCII characters only, no spaces/],
    [{ admin: { token: 'tab\tseparated-admin-token' } }, /^admin\.token: visible ASCII characters only/],
    [{ admin: { token: 'ümlaut-admin-token-0123' } }, /^admin\.token: visible ASCII characters only/],
    [{ admin: { listen: 'nowhere' } }, /^admin\.listen: /],
    [{ admin: { listen: '127.0.0.1:70000' } }, /^admin\.listen: /],
    [{ admin: { port: 8089 } }, /^admin\.port: unknown key/],
    [{ admin: 'off' }, /^admin: /],
    [{ admin: { hosts: 'bridge.example.net' } }, /^admin\.hosts: /],
    [
      { admin: { hosts: ['bridge.example.net:8089'] } },
      /^admin\.hosts\[0\]: expected a host name .*any port is accepted/,
    ],
    [{ admin: { hosts: ['ok.example', 'http://bridge.example.net'] } }, /^admin\.hosts\[1\]: expected a host name/],
    [{ admin: { hosts: ['*.example.net'] } }, /^admin\.hosts\[0\]: expected a host name/],
    [{ admin: { hosts: [''] } }, /^admin\.hosts\[0\]: expected a host name/],
  ])('names the key of a wrong setting: %j', (document, problem) => {
    expect(problemsOf(document)).toEqual([expect.stringMatching(problem)]);
  });
});
